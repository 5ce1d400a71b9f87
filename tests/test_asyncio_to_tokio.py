"""Notebook 05 and its CPython twin print the same lines, section by section.

notebooks/05-asyncio-to-tokio.ipynb and reference/asyncio-to-tokio.ipynb have
the same sections, edited side by side (each through its text file, .rs and
.py), and are executed on their kernels by `make record`; nbval (run
alongside) proves that fresh runs reproduce the committed outputs. Each
section starts with a markdown heading cell tagged `section`; the heading of a
section whose lines differ between Rust and CPython is also tagged `differs`,
and the section quotes the other notebook's lines in a markdown cell tagged
`other-output` (filled by tools/quote_other_side.py, which `make record` runs).
Here:

- both notebooks have the same sections, titles and `differs` tags;
- both open with the same construct table, one row per section, and
  docs/notebook-05.md shows that table too;
- a section not marked as differing prints, line for line, what its twin
  prints, measured seconds and addresses aside;
- a section marked as differing really prints other lines, and its quotes are
  the other notebook's lines as committed.
"""
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from notebook_outputs import problems  # noqa: E402
from helpers import stdout_lines  # noqa: E402

RUST = ROOT / "notebooks" / "05-asyncio-to-tokio.ipynb"
PYTHON = ROOT / "reference" / "asyncio-to-tokio.ipynb"

MEASURED = [
    (re.compile(r"(took )\d+\.\d+( s)"), r"\1<seconds>\2"),
    (re.compile(r"0x[0-9a-f]+"), "0xADDRESS"),
]

# Every construct of issue #14, as the section headings name it.
CONSTRUCTS = [
    "asyncio.run", "top-level `await`", "create_task", "Task.cancel()", "CancelledError",
    "abort()", "JoinError::is_cancelled", "return_exceptions=True", "try_join_all",
    "wait_for", "asyncio.timeout", "tokio::time::timeout", "shield", "as_completed",
    "FuturesUnordered", "JoinSet::join_next", "TaskGroup", "JoinSet", "Semaphore", "Lock",
    "tokio's `Mutex`", "std::sync::Mutex", "Event", "watch", "Notify", "Queue(maxsize=2)",
    "mpsc", "to_thread", "run_in_executor", "spawn_blocking", "async for", "Stream",
    "async with", "drop", "asyncio.sleep(0)", "yield_now",
]


def read(path):
    return nbformat.read(path, as_version=4)


def tags(cell):
    return cell.metadata.get("tags", [])


def sections(notebook):
    """(heading cell, [cells of the section]) in order, up to the exercises."""
    found = []
    for cell in notebook.cells:
        if "exercises" in tags(cell):
            break  # the exercises, which have no twin
        if cell.cell_type == "markdown" and "section" in tags(cell):
            found.append((cell, []))
        elif found:
            found[-1][1].append(cell)
    return found


def section_lines(cells):
    """The lines a section's code cells print, in order."""
    return [line for cell in cells if cell.cell_type == "code" for line in stdout_lines(cell)]


def comparable(line):
    for pattern, replacement in MEASURED:
        line = pattern.sub(replacement, line)
    return line


def printed(notebook):
    return {
        heading.source: [comparable(line) for line in section_lines(cells)]
        for heading, cells in sections(notebook)
    }


@pytest.fixture(scope="module")
def rust():
    return read(RUST)


@pytest.fixture(scope="module")
def python():
    return read(PYTHON)


def test_kernels(rust, python):
    assert rust.metadata["kernelspec"]["name"] == "rust"
    assert python.metadata["kernelspec"]["name"] == "python3"
    first = next(cell for cell in rust.cells if cell.cell_type == "code")
    assert first.source.startswith(":dep async_walkthrough")


def test_the_twin_is_a_clean_run_on_cpython(python):
    assert problems(python) == []
    for cell in python.cells:
        if cell.cell_type == "code":
            assert all(o.output_type == "stream" and o.name == "stdout" for o in cell.outputs), cell.source


def test_same_sections_same_titles_same_marks(rust, python):
    ours = [(h.source, "differs" in tags(h)) for h, _ in sections(rust)]
    theirs = [(h.source, "differs" in tags(h)) for h, _ in sections(python)]
    assert ours == theirs
    assert [title for title, _ in ours] == [f"## {n}. " + t.split(". ", 1)[1] for n, (t, _) in enumerate(ours, 1)]
    for notebook in (rust, python):
        for heading, cells in sections(notebook):
            assert any(cell.cell_type == "code" for cell in cells), heading.source


def test_every_construct_has_a_section(rust):
    headings = " ".join(h.source for h, _ in sections(rust))
    missing = [name for name in CONSTRUCTS if name not in headings]
    assert missing == []


def test_the_table_lists_every_section(rust, python):
    for notebook in (rust, python):
        table = notebook.cells[0].source
        for number, (heading, _) in enumerate(sections(notebook), start=1):
            title = heading.source.split(". ", 1)[1].replace("|", "\\|")
            assert f"| {number}. {title} |" in table


def table_rows(text):
    """The lines of the markdown table in `text`."""
    return [line for line in text.splitlines() if line.startswith("|")]


def test_one_table_in_both_notebooks_and_the_doc(rust, python):
    """The table is plain markdown in three places, so nothing but this keeps
    them the same: the two notebooks' first cells and docs/notebook-05.md."""
    ours = table_rows(rust.cells[0].source)
    assert ours[:2] == ["| asyncio | Rust | section |", "| --- | --- | --- |"]
    assert len(ours) == 2 + len(sections(rust))
    assert table_rows(python.cells[0].source) == ours
    assert table_rows((ROOT / "docs" / "notebook-05.md").read_text()) == ours


def test_matching_sections_print_what_cpython_prints(rust, python):
    ours, theirs = printed(rust), printed(python)
    for heading, _ in sections(rust):
        if "differs" in tags(heading):
            continue
        assert ours[heading.source], f"{heading.source}: prints nothing"
        assert ours[heading.source] == theirs[heading.source], heading.source


def test_differing_sections_differ_and_quote_the_other_side(rust, python):
    marked = [h for h, _ in sections(rust) if "differs" in tags(h)]
    assert len(marked) >= 1
    for notebook, other, name in ((rust, python, "CPython"), (python, rust, "Rust")):
        lines = {h.source: section_lines(c) for h, c in sections(other)}
        for heading, cells in sections(notebook):
            quotes = [cell for cell in cells if "other-output" in tags(cell)]
            if "differs" not in tags(heading):
                assert quotes == []
                continue
            assert section_lines(cells) != lines[heading.source], f"{heading.source}: marked but the same"
            assert len(quotes) == 1
            expected = f"{name} prints, in its notebook:\n\n```text\n" + "\n".join(lines[heading.source]) + "\n```"
            assert quotes[0].source == expected, heading.source


def test_timelines_are_drawn(rust):
    sources = [cell.source for cell in rust.cells if cell.cell_type == "code"]
    for name in ("group_run", "queue_run"):
        cell = [c for c in rust.cells if c.cell_type == "code" and c.source == name][0]
        assert "image/svg+xml" in cell.outputs[0]["data"], name
    assert sum(s == "group_run" or s == "queue_run" for s in sources) == 2
