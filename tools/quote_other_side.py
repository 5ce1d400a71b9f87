"""Quotes, in each `differs` section of notebook 05 and of its CPython twin,
the lines the other notebook printed there.

A section whose lines differ between Rust and CPython has its heading tagged
`differs` and, under its note, a markdown cell tagged `other-output`. This
fills that cell from the other notebook's committed outputs (the Rust
notebook quotes CPython's lines, the twin quotes Rust's) and writes each
notebook with its text file. `make record` runs it once both notebooks are
executed; tests/test_asyncio_to_tokio.py fails when a quote is stale.

    quote_other_side.py [RUST_NOTEBOOK PYTHON_NOTEBOOK]

Refuses to run while a notebook and its text file disagree (`make sync-text`
first), so that no edit of the text file is lost.
"""
import argparse
import sys
from pathlib import Path

import nbformat

from text_pairs import ROOT, TWIN, check_in_step, write_pair

RUST = ROOT / "notebooks" / "05-asyncio-to-tokio.ipynb"
QUOTE_TAG = "other-output"


def tags(cell):
    return cell.metadata.get("tags", [])


def section_stdout(notebook):
    """Per section heading: the stdout lines its code cells printed, in order."""
    found, title = {}, None
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and "section" in tags(cell):
            title = cell.source
            found[title] = []
        elif cell.cell_type == "code" and title is not None:
            text = "".join(o.text for o in cell.get("outputs", [])
                           if o.output_type == "stream" and o.name == "stdout")
            found[title] += text.splitlines()
    return found


def quote(lines, other_name):
    body = "\n".join(lines)
    return f"{other_name} prints, in its notebook:\n\n```text\n{body}\n```"


def fill_quotes(notebook, other, other_name):
    """Sets every quote cell of `notebook`; returns how many changed."""
    lines, title, changed = section_stdout(other), None, 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and "section" in tags(cell):
            title = cell.source
        elif QUOTE_TAG in tags(cell):
            if title not in lines:
                raise SystemExit(f"{title!r}: no such section in the {other_name} notebook")
            text = quote(lines[title], other_name)
            changed += cell.source != text
            cell.source = text
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="the Rust notebook and its twin")
    args = parser.parse_args()
    rust_path, python_path = [path.resolve() for path in args.notebooks] or [RUST, TWIN]
    for path in (rust_path, python_path):
        check_in_step(path)
    rust = nbformat.read(rust_path, as_version=4)
    python = nbformat.read(python_path, as_version=4)
    changed = fill_quotes(rust, python, "CPython") + fill_quotes(python, rust, "Rust")
    write_pair(rust, rust_path)
    write_pair(python, python_path)
    print(f"quote_other_side: {changed} quote(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
