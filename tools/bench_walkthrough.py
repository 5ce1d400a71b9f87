"""Notebook 01 against the Python original, measured side by side, cell by cell.

Runs a warm-up of notebook 01, then alternates RUNS headless executions of
notebook 01 (Rust kernel) and of reference/python-post.ipynb (ipykernel).
For each it times the whole run (kernel start to kernel shutdown) and every
cell (from the kernel taking the cell to its reply). A cell's own work is the
run time it prints (the sync and async totals), or nothing; what it takes
beyond that is the kernel's overhead. Prints the median of the whole runs,
their ratio against the goal (2.0x), and a per-cell table of medians against
the per-cell goals (1.0 s over the cell's work; 3.0 s for the `:dep` cell).

    bench_walkthrough.py [--runs 5] [--timeout 600] [--markdown]
"""
import argparse
import re
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
RUST = ROOT / "notebooks" / "01-asyncio-walkthrough.ipynb"
PYTHON = ROOT / "reference" / "python-post.ipynb"
PRINTED_WORK = re.compile(r"total time taken for a?sync process: (\d+\.\d+)")
RATIO_GOAL = 2.0
CELL_GOAL = 1.0
DEP_CELL_GOAL = 3.0


def timed_run(path: Path, kernel: str, timeout: int):
    """Executes the notebook on a fresh kernel; returns the seconds from
    starting the kernel to shutting it down, the seconds until the kernel was
    ready, and per code cell (first line, seconds taken, seconds of own work)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        startup_timeout=120,
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
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        work = sum(float(s) for s in PRINTED_WORK.findall(printed))
        cells.append((cell.source.splitlines()[0], taken, work))
    return wall, ready, cells


def stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()

    print("warm-up run of notebook 01", flush=True)
    timed_run(RUST, "rust", args.timeout)
    rust_walls, python_walls, rust_ready, python_ready = [], [], [], []
    per_cell: list[list[tuple[str, float, float]]] = []
    for run in range(1, args.runs + 1):
        rust_wall, ready, cells = timed_run(RUST, "rust", args.timeout)
        python_wall, python_start, _ = timed_run(PYTHON, "python3", args.timeout)
        rust_walls.append(rust_wall)
        rust_ready.append(ready)
        python_walls.append(python_wall)
        python_ready.append(python_start)
        per_cell.append(cells)
        print(f"run {run}: notebook 01 {rust_wall:.2f} s, Python original {python_wall:.2f} s", flush=True)

    rust, python = statistics.median(rust_walls), statistics.median(python_walls)
    ratio = rust / python
    print(f"\nmedian of {args.runs} warm headless runs, kernel start to shutdown:")
    print(f"  notebook 01 (evcxr)          {rust:6.2f} s   (kernel ready after {statistics.median(rust_ready):.2f} s)")
    print(f"  Python original (ipykernel)  {python:6.2f} s   (kernel ready after {statistics.median(python_ready):.2f} s)")
    print(f"  ratio                        {ratio:6.2f}x  (goal {RATIO_GOAL:.1f}x: {'met' if ratio <= RATIO_GOAL else 'NOT met'})")

    print("\nper cell of notebook 01, medians (seconds):\n")
    print("| cell | code | taken | own work | overhead | goal |")
    print("| ---: | --- | ---: | ---: | ---: | --- |")
    missed = 0
    for index, (code, _, _) in enumerate(per_cell[0]):
        taken = statistics.median(run[index][1] for run in per_cell)
        work = statistics.median(run[index][2] for run in per_cell)
        overhead = taken - work
        goal = DEP_CELL_GOAL if code.startswith(":dep") else CELL_GOAL
        met = overhead <= goal
        missed += not met
        print(f"| {index} | `{code}` | {taken:.2f} | {work:.2f} | {overhead:.2f} | "
              f"{'met' if met else 'NOT met'} (<= {goal:.1f}) |")
    print(f"\n{len(per_cell[0]) - missed} of {len(per_cell[0])} cells within their goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
