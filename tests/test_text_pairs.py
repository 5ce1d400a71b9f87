"""Every notebook and its text file say the same.

Each notebook is paired with a jupytext percent file beside it
(notebooks/NN-name.rs, reference/asyncio-to-tokio.py; see tools/text_pairs.py):
JupyterLab's jupytext extension writes both on save, and `make sync-text`
carries an edit of one over to the other. Here, without a kernel:

- every notebook of notebooks/ and reference/ is paired as expected (or is
  listed as unpaired, with the reason), and every text file has its notebook;
- a notebook and its text file have the same cells: types, sources and
  metadata (the tags `raises-exception`, `section`, `differs` and
  `other-output` among them), so an edit of one that did not reach the other
  fails here;
- the text file is exactly what jupytext writes from the notebook, so
  `make sync-text` would change neither file.
"""
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from text_pairs import FORMATS, SYNC, UNPAIRED, differences, read_text, text_of, text_path  # noqa: E402

PAIRED = sorted(FORMATS)
IDS = [path.relative_to(ROOT).as_posix() for path in PAIRED]


def read(path):
    return nbformat.read(path, as_version=4)


def test_every_notebook_is_paired_or_listed():
    found = {*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "reference").glob("*.ipynb")}
    assert found == set(PAIRED) | set(UNPAIRED)
    assert set(PAIRED) & set(UNPAIRED) == set()
    for path in UNPAIRED:
        assert "jupytext" not in read(path).metadata, f"{path.name} is listed as unpaired"


@pytest.mark.parametrize("path", PAIRED, ids=IDS)
def test_the_notebook_names_its_text_file(path):
    notebook = read(path)
    assert notebook.metadata.get("jupytext", {}).get("formats") == FORMATS[path]
    assert text_path(path, notebook).is_file(), f"no {text_path(path, notebook).name}: run {SYNC}"


def test_every_text_file_has_its_notebook():
    texts = {text_path(path, read(path)) for path in PAIRED}
    assert set((ROOT / "notebooks").glob("*.rs")) <= texts
    scripts = {ROOT / "reference" / "make_python_reference.py"}
    assert set((ROOT / "reference").glob("*.py")) - scripts <= texts


@pytest.mark.parametrize("path", PAIRED, ids=IDS)
def test_the_notebook_and_its_text_file_have_the_same_cells(path):
    notebook = read(path)
    found = differences(notebook, read_text(path, notebook))
    assert found == [], (f"{path.name} and {text_path(path, notebook).name} disagree; run {SYNC}, "
                         "which keeps the cells of the newer file:\n  " + "\n  ".join(found))


@pytest.mark.parametrize("path", PAIRED, ids=IDS)
def test_the_text_file_is_what_jupytext_writes(path):
    notebook = read(path)
    assert text_path(path, notebook).read_text() == text_of(notebook), \
        f"{text_path(path, notebook).name} is not as jupytext writes it from {path.name}: run {SYNC}"


@pytest.mark.parametrize("path", PAIRED, ids=IDS)
def test_the_text_file_keeps_the_notebook_metadata_the_tests_read(path):
    notebook, text = read(path), read_text(path, read(path))
    assert text.metadata["kernelspec"] == notebook.metadata["kernelspec"]
    assert text.metadata["jupytext"]["formats"] == FORMATS[path]


def test_the_tags_the_tests_rely_on_are_in_the_text_files():
    """A check that the comparison above sees tags at all: the tagged cells
    of notebooks 02 and 05 and the twin, as their text files have them."""
    def tagged(path, tag):
        return sum(tag in cell.metadata.get("tags", []) for cell in read_text(path, read(path)).cells)

    rust05 = ROOT / "notebooks" / "05-asyncio-to-tokio.ipynb"
    assert tagged(ROOT / "notebooks" / "02-beyond-the-post.ipynb", "raises-exception") >= 1
    for path in (rust05, ROOT / "reference" / "asyncio-to-tokio.ipynb"):
        assert tagged(path, "section") == 18
        assert tagged(path, "differs") == tagged(path, "other-output") >= 1
    first = next(cell for cell in read_text(rust05, read(rust05)).cells if cell.cell_type == "code")
    assert first.source.startswith(":dep async_walkthrough")  # `// :dep` in the text, a command again


def test_a_disagreement_is_found():
    """The comparison catches an edit of either file: a source, a tag, a cell type."""
    path = ROOT / "notebooks" / "05-asyncio-to-tokio.ipynb"
    notebook = read(path)
    text = read_text(path, notebook)
    assert differences(notebook, text) == []
    code = next(n for n, cell in enumerate(text.cells) if cell.cell_type == "code")
    heading = next(n for n, cell in enumerate(text.cells) if "differs" in cell.metadata.get("tags", []))
    text.cells[code].source += "\nprintln!(\"edited\");"
    text.cells[heading].metadata["tags"].remove("differs")
    text.cells[0].cell_type = "raw"
    found = differences(notebook, text)
    assert len(found) == 3, found
    assert found[0].startswith("cell 0 ") and found[0].endswith("markdown in the notebook, raw in the text file")
    assert found[1].startswith(f"cell {code} ") and "the source differs" in found[1]
    assert found[2].startswith(f"cell {heading} ") and "metadata" in found[2] and "differs" in found[2]
    del text.cells[-1]
    assert differences(notebook, text)[0] == f"{len(notebook.cells)} cells in the notebook, " \
        f"{len(notebook.cells) - 1} in the text file"
