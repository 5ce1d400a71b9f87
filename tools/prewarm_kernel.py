"""Builds what the notebooks' first cells need into the kernel's build directory.

The project's kernel loads its whole dependency graph as shared libraries
before its first cell (tools/evcxr/kernel_dependencies): tokio, the crate and
notebook 04's HTTP stack. On a fresh clone that build takes minutes, so
`make setup` does it once per Cargo.lock: one kernel is started (which builds
the graph) and runs the first code cell of every notebook, then a cell that
awaits, so that a learner's first cell only compiles itself.

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
# The first start builds every dependency as a shared library: minutes here.
BUILD_TIMEOUT = 3600


def first_cells() -> list[str]:
    """Each distinct first code cell of the notebooks (their `:dep` lines)."""
    sources = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        first = next(cell for cell in cells if cell["cell_type"] == "code")
        source = "".join(first["source"])
        if source not in sources:
            sources.append(source)
    return sources


def main() -> int:
    started = time.monotonic()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in first_cells()]
    notebook.cells.append(nbformat.v4.new_code_cell("async fn warm_up() {}\nwarm_up().await;"))
    NotebookClient(
        notebook,
        timeout=BUILD_TIMEOUT,
        startup_timeout=BUILD_TIMEOUT,
        kernel_name="rust",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()
    print(f"built the kernel's dependencies and {len(notebook.cells) - 1} first cells "
          f"in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
