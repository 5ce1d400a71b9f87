"""Builds what the notebooks' first cells need into the kernel's build directory.

A fresh clone's first `:dep` cell would otherwise compile tokio, plotters and
the crate for the kernel (a minute or two), and notebook 04's the HTTP stack
as well. `make setup` runs this once per Cargo.lock: each dependency line the
notebooks use is loaded on a kernel of its own and one cell awaits, so the
runtime evcxr adds for `.await` is built too.

    prewarm_kernel.py
"""
import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def dep_lines() -> list[str]:
    """Each distinct first cell of the notebooks: their `:dep` lines."""
    lines = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        first = next(cell for cell in cells if cell["cell_type"] == "code")
        source = "".join(first["source"])
        if source.startswith(":dep") and source not in lines:
            lines.append(source)
    return lines


def main() -> int:
    for source in dep_lines():
        started = time.monotonic()
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [
            nbformat.v4.new_code_cell(source),
            nbformat.v4.new_code_cell("async fn warm_up() {}\nwarm_up().await;"),
        ]
        NotebookClient(
            notebook,
            timeout=1800,
            startup_timeout=120,
            kernel_name="rust",
            resources={"metadata": {"path": str(NOTEBOOKS)}},
        ).execute()
        print(f"built for {source.splitlines()[0]!r} in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
