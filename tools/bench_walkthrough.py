"""Notebook 01 against the Python original, measured side by side.

Runs a warm-up of notebook 01, then alternates RUNS headless executions of
notebook 01 (Rust kernel) and of reference/python-post.ipynb (ipykernel),
and reports the median wall time of each and their ratio. From the same Rust
runs it reads the times notebook 01 printed for the sync and async runs and
reports their median overhead over the ideal 6 s and 3 s.

    bench_walkthrough.py [--runs 5]
"""
import argparse
import re
import statistics
import sys
import time
from pathlib import Path

from notebook_outputs import execute

ROOT = Path(__file__).resolve().parent.parent
RUST = ROOT / "notebooks" / "01-asyncio-walkthrough.ipynb"
PYTHON = ROOT / "reference" / "python-post.ipynb"
TOTAL = re.compile(r"total time taken for (a?sync) process: (\d+\.\d+)")
IDEAL = {"sync": 6.0, "async": 3.0}


def timed_run(path: Path, kernel: str, timeout: int):
    started = time.monotonic()
    notebook = execute(path, timeout, kernel_name=kernel)
    return time.monotonic() - started, notebook


def printed_totals(notebook) -> dict[str, float]:
    text = "".join(
        output.text
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )
    return {kind: float(seconds) for kind, seconds in TOTAL.findall(text)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args()

    print("warm-up run of notebook 01", flush=True)
    timed_run(RUST, "rust", args.timeout)
    rust_walls, python_walls = [], []
    overhead = {"sync": [], "async": []}
    for run in range(1, args.runs + 1):
        rust_wall, notebook = timed_run(RUST, "rust", args.timeout)
        python_wall, _ = timed_run(PYTHON, "python3", args.timeout)
        rust_walls.append(rust_wall)
        python_walls.append(python_wall)
        for kind, seconds in printed_totals(notebook).items():
            overhead[kind].append((seconds - IDEAL[kind]) * 1000)
        print(f"run {run}: notebook 01 {rust_wall:.2f} s, Python original {python_wall:.2f} s", flush=True)

    rust, python = statistics.median(rust_walls), statistics.median(python_walls)
    print(f"\nmedian of {args.runs} warm headless runs:")
    print(f"  notebook 01 (evcxr)          {rust:.2f} s")
    print(f"  Python original (ipykernel)  {python:.2f} s")
    print(f"  ratio                        {rust / python:.2f}x")
    for kind in ("sync", "async"):
        print(f"  {kind:5} run overhead over {IDEAL[kind]:.0f} s: {statistics.median(overhead[kind]):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
