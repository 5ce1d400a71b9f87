"""Execute one notebook many times and check that its sanitized outputs never
change, and that they equal the committed ones (so no final line went missing).

    repeat_notebook.py --runs 20 NOTEBOOK
"""
import argparse
import sys
import time
from pathlib import Path

import nbformat

from notebook_outputs import cell_outputs, execute


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    parser.add_argument("notebook", type=Path)
    args = parser.parse_args()

    committed = cell_outputs(nbformat.read(args.notebook, as_version=4))
    identical = 0
    for run in range(1, args.runs + 1):
        started = time.monotonic()
        outputs = cell_outputs(execute(args.notebook, args.timeout))
        took = time.monotonic() - started
        differing = [i for i, (a, b) in enumerate(zip(committed, outputs)) if a != b]
        if len(outputs) != len(committed):
            differing.append(len(outputs))
        if differing:
            print(f"run {run}: {took:.1f} s, DIFFERS in code cells {differing}")
            for index in differing[:3]:
                print(f"  committed: {committed[index] if index < len(committed) else None}")
                print(f"  this run:  {outputs[index] if index < len(outputs) else None}")
        else:
            identical += 1
            print(f"run {run}: {took:.1f} s, identical")
    print(f"{identical}/{args.runs} runs identical to the committed outputs after sanitizing")
    return 0 if identical == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
