"""Every notebook and its text file, kept in step by jupytext.

Each notebook of notebooks/ (and notebook 05's CPython twin) is paired with a
text file beside it in jupytext's percent format: notebooks/NN-name.rs
(`// %%` cells, evcxr's `:dep` lines written as `// :dep`) and
reference/asyncio-to-tokio.py (`# %%` cells). The pairing is in the
notebook's metadata (`jupytext.formats`), so JupyterLab's jupytext extension
writes both files on save, and `make sync-text` (`jupytext --sync`) carries
an edit of either file over to the other. Only the notebook holds outputs.

Shared by tests/test_text_pairs.py and tools/quote_other_side.py.
"""
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
TWIN = ROOT / "reference" / "asyncio-to-tokio.ipynb"
# The notebooks `make sync-text` syncs (its PAIRED list), with the formats
# their metadata must pair them with.
FORMATS = {path: "ipynb,rs:percent" for path in sorted((ROOT / "notebooks").glob("*.ipynb"))}
FORMATS[TWIN] = "ipynb,py:percent"
# Notebooks left unpaired, and why.
UNPAIRED = {
    ROOT / "reference" / "python-post.ipynb": "built, cells and outputs, by reference/make_python_reference.py, "
    "which holds the post's cells as the post has them",
}
SYNC = "make sync-text"


def paired_format(notebook: nbformat.NotebookNode) -> str:
    """The text format a notebook's metadata pairs it with: `rs:percent`, `py:percent`."""
    formats = notebook.metadata.get("jupytext", {}).get("formats", "")
    text = [fmt for fmt in formats.split(",") if fmt and fmt != "ipynb"]
    assert len(text) == 1, f"not paired with one text file: jupytext.formats = {formats!r}"
    return text[0]


def text_path(notebook_path: Path, notebook: nbformat.NotebookNode) -> Path:
    """The text file paired with a notebook: same name, the format's extension."""
    return notebook_path.with_suffix("." + paired_format(notebook).split(":")[0])


def read_text(notebook_path: Path, notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as its text file has it (cells and metadata, no outputs)."""
    return jupytext.read(text_path(notebook_path, notebook), fmt=paired_format(notebook))


def text_of(notebook: nbformat.NotebookNode) -> str:
    """What the text file holds when it is in step with `notebook`."""
    return jupytext.writes(notebook, fmt=paired_format(notebook))


def first_line(source: str) -> str:
    return source.splitlines()[0] if source else ""


def first_difference(ours: str, theirs: str) -> str:
    """The first line where two sources differ, as each has it."""
    ours_lines, theirs_lines = ours.splitlines(), theirs.splitlines()
    for number in range(max(len(ours_lines), len(theirs_lines))):
        mine = ours_lines[number] if number < len(ours_lines) else None
        other = theirs_lines[number] if number < len(theirs_lines) else None
        if mine != other:
            return f"line {number + 1}: {mine!r} in the notebook, {other!r} in the text file"
    return "the end of the source (a trailing newline)"


def differences(notebook: nbformat.NotebookNode, text: nbformat.NotebookNode) -> list[str]:
    """Where a notebook and its text file disagree, one line each: cell count,
    and per cell its type, its source and its metadata (tags included)."""
    found = []
    if len(notebook.cells) != len(text.cells):
        found.append(f"{len(notebook.cells)} cells in the notebook, {len(text.cells)} in the text file")
    for number, (ours, theirs) in enumerate(zip(notebook.cells, text.cells)):
        where = f"cell {number} ({first_line(ours.source)!r})"
        if ours.cell_type != theirs.cell_type:
            found.append(f"{where}: {ours.cell_type} in the notebook, {theirs.cell_type} in the text file")
        if ours.source != theirs.source:
            found.append(f"{where}: the source differs, first at {first_difference(ours.source, theirs.source)}")
        if dict(ours.metadata) != dict(theirs.metadata):
            found.append(f"{where}: metadata {dict(ours.metadata)} in the notebook, "
                         f"{dict(theirs.metadata)} in the text file")
    return found


def check_in_step(notebook_path: Path) -> None:
    """Raises SystemExit when a notebook and its text file disagree: a tool that
    rewrites the notebook would otherwise drop the text file's edits."""
    notebook = nbformat.read(notebook_path, as_version=4)
    found = differences(notebook, read_text(notebook_path, notebook))
    if found:
        raise SystemExit(f"{notebook_path} and {text_path(notebook_path, notebook).name} disagree "
                         f"(run {SYNC} first):\n  " + "\n  ".join(found))


def write_pair(notebook: nbformat.NotebookNode, notebook_path: Path) -> None:
    """The notebook and its text file, written together."""
    nbformat.write(notebook, notebook_path)
    text_path(notebook_path, notebook).write_text(text_of(notebook))
