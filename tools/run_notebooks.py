"""Execute notebooks headless on their own kernel, the way `make run` and
`make record` need it.

    run_notebooks.py --out DIR NOTEBOOK...    executed .ipynb and .html into DIR
    run_notebooks.py --in-place NOTEBOOK...   refresh the notebooks' outputs

Each cell gets --timeout seconds; evcxr cannot interrupt a running cell, so a
hung cell fails the run (naming the notebook and cell) instead of stalling it.
Notebooks run one after another: they share evcxr's build directory.
"""
import argparse
import sys
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from nbconvert import HTMLExporter

from notebook_outputs import execute, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="directory for executed copies")
    target.add_argument("--in-place", action="store_true", help="rewrite the notebooks")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args()

    for path in args.notebooks:
        print(f"executing {path}", flush=True)
        try:
            notebook = execute(path, args.timeout)
        except (CellExecutionError, CellTimeoutError) as error:
            print(f"FAILED {path}: {error}", file=sys.stderr)
            return 1
        found = problems(notebook)
        if found:
            print(f"FAILED {path}:", *found, sep="\n  ", file=sys.stderr)
            return 1
        if args.in_place:
            nbformat.write(notebook, path)
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, args.out / path.name)
            html, _ = HTMLExporter().from_notebook_node(notebook)
            (args.out / path.with_suffix(".html").name).write_text(html)
        print(f"ok {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
