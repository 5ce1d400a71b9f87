"""Notebook 01 on the project's kernel, on a stock evcxr kernel and as the
Python original, measured side by side, cell by cell.

Runs a warm-up of notebook 01 on each evcxr kernel, then alternates RUNS
headless executions: notebook 01 on the project's kernel (`rust`), notebook
01 on a stock evcxr kernel (tools/stock_kernel.py) and
reference/python-post.ipynb on ipykernel. For each it times the whole run
(kernel start to kernel shutdown), the kernel's start, and every cell (from
the kernel taking the cell to its reply). Prints the medians and checks the
goals: the project's kernel no slower than the stock one in any cell, its
start within 0.5 s of the stock one's, and notebook 01 at most 2.0x the
Python original.

    bench_walkthrough.py [--runs 5] [--timeout 600]
"""
import argparse
import re
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import tempfile

import nbformat
from nbclient import NotebookClient

import stock_kernel

ROOT = Path(__file__).resolve().parent.parent
RUST = ROOT / "notebooks" / "01-asyncio-walkthrough.ipynb"
PYTHON = ROOT / "reference" / "python-post.ipynb"
RATIO_GOAL = 2.0
START_GOAL = 0.5


def timed_run(path: Path, kernel: str, timeout: int):
    """Executes the notebook on a fresh kernel; returns the seconds from
    starting the kernel to shutting it down, the seconds until the kernel was
    ready, and per code cell (first line, seconds taken)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        startup_timeout=600,
        kernel_name=kernel,
        record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.monotonic()
    with client.setup_kernel():
        ready = time.monotonic() - started
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
    wall = time.monotonic() - started
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        stamps = cell.metadata["execution"]
        taken = stamp(stamps["shell.execute_reply"]) - stamp(stamps["iopub.execute_input"])
        cells.append((cell.source.splitlines()[0], taken))
    return wall, ready, cells


def stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()

    kernels = {"project": "rust", "stock": stock_kernel.register(Path(tempfile.mkdtemp()))}
    for name, kernel in kernels.items():
        print(f"warm-up run of notebook 01 on the {name} kernel", flush=True)
        timed_run(RUST, kernel, args.timeout)
    walls: dict[str, list[float]] = {"project": [], "stock": [], "python": []}
    starts: dict[str, list[float]] = {"project": [], "stock": [], "python": []}
    per_cell: dict[str, list[list[tuple[str, float]]]] = {"project": [], "stock": []}
    for run in range(1, args.runs + 1):
        for name, kernel in [*kernels.items(), ("python", "python3")]:
            wall, ready, cells = timed_run(PYTHON if name == "python" else RUST, kernel, args.timeout)
            walls[name].append(wall)
            starts[name].append(ready)
            if name in per_cell:
                per_cell[name].append(cells)
        print(f"run {run}: " + ", ".join(f"{name} {walls[name][-1]:.2f} s" for name in walls), flush=True)

    wall = {name: statistics.median(values) for name, values in walls.items()}
    start = {name: statistics.median(values) for name, values in starts.items()}
    ratio = wall["project"] / wall["python"]
    late = start["project"] - start["stock"]
    print(f"\nmedians of {args.runs} warm headless runs, kernel start to shutdown:\n")
    print("| | whole run | kernel ready after |")
    print("| --- | ---: | ---: |")
    print(f"| notebook 01, project's kernel | {wall['project']:.2f} s | {start['project']:.2f} s |")
    print(f"| notebook 01, stock evcxr kernel | {wall['stock']:.2f} s | {start['stock']:.2f} s |")
    print(f"| Python original, ipykernel | {wall['python']:.2f} s | {start['python']:.2f} s |")
    print(f"\nproject's kernel against the Python original: {ratio:.2f}x "
          f"(goal {RATIO_GOAL:.1f}x: {'met' if ratio <= RATIO_GOAL else 'NOT met'})")
    print(f"project's kernel start against the stock one's: {late:+.2f} s "
          f"(goal within {START_GOAL:.1f} s: {'met' if late <= START_GOAL else 'NOT met'})")

    print("\nper cell of notebook 01, medians (seconds):\n")
    print("| cell | code | project | stock | project - stock |")
    print("| ---: | --- | ---: | ---: | ---: |")
    slower = 0
    for index, (code, _) in enumerate(per_cell["project"][0]):
        project = statistics.median(run[index][1] for run in per_cell["project"])
        stock = statistics.median(run[index][1] for run in per_cell["stock"])
        slower += project > stock
        print(f"| {index} | `{code}` | {project:.2f} | {stock:.2f} | {project - stock:+.2f} |")
    cells = len(per_cell["project"][0])
    print(f"\n{cells - slower} of {cells} cells no slower on the project's kernel than on the stock one "
          f"(goal: all, {'met' if slower == 0 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
