"""Notebook 01 prints what CPython prints for the post, line for line.

reference/python-post.ipynb is the post's Python executed in a real ipykernel
(rebuild it with reference/make_python_reference.py). Notebook 01 has one code
cell per post cell, after a first cell that loads the crate, plus timeline
cells that draw the run just made (`sync_run`, `async_run`) without printing; its committed outputs
are the ones `make test` has just reproduced with nbval.
"""
import re

from helpers import PYTHON_POST as PYTHON
from helpers import ROOT, code_cells, stdout_lines

RUST = ROOT / "notebooks" / "01-asyncio-walkthrough.ipynb"

SECONDS = re.compile(r"(total time taken for a?sync process: )\d+\.\d+$")
# The post's async driver reused the label of the sync one; ours says "async".
CORRECTED_LABEL = ("for async process", "for sync process")


TIMELINES = {
    "let sync_run: Timeline = process_sync();": "sync_run",
    "let async_run: Timeline = process_async().await;": "async_run",
}


def post_cells(path):
    """The code cells that stand for the post's cells: those before the
    exercises, but the timeline cells."""
    cells = code_cells(path)
    ends = next((i for i, cell in enumerate(cells) if tagged(cell, "exercise")), len(cells))
    return [cell for cell in cells[:ends] if "".join(cell["source"]) not in TIMELINES.values()]


def tagged(cell, key):
    return any(tag.startswith(key + "=") for tag in cell.get("metadata", {}).get("tags", []))


def result_text(cell):
    for output in cell.get("outputs", []):
        if output["output_type"] == "execute_result":
            return "".join(output["data"]["text/plain"])
    return None


def comparable(line):
    return SECONDS.sub(r"\1<seconds>", line.replace(*CORRECTED_LABEL))


def test_one_rust_cell_per_post_cell_after_the_setup_cell():
    rust, python = post_cells(RUST), code_cells(PYTHON)
    assert len(rust) == len(python) + 1
    assert "".join(rust[0]["source"]).startswith(":dep async_walkthrough")


def test_printed_lines_match_cpython_cell_by_cell():
    rust, python = post_cells(RUST)[1:], code_cells(PYTHON)
    for index, (ours, theirs) in enumerate(zip(rust, python), start=1):
        ours_lines = [comparable(line) for line in stdout_lines(ours)]
        their_lines = [comparable(line) for line in stdout_lines(theirs)]
        assert ours_lines == their_lines, f"post cell {index}: {''.join(theirs['source'])!r}"
    printed = sum(len(stdout_lines(cell)) for cell in python)
    assert printed == 20, "the post prints 10 lines for each run"


# Where CPython shows a value, Rust shows its own form of the same value.
VALUES = [
    (r"'sync'", r'"sync"'),
    (
        r"<coroutine object do_async at 0x[0-9a-f]+>",
        r"<future \S+::do_async::\{\{closure\}\} at 0x[0-9a-f]+, Output = &str, not started>",
    ),
    (r"'async'", r'"async"'),
    (
        r"<coroutine object process_async at 0x[0-9a-f]+>",
        r"<future \S+::process_async::\{\{closure\}\} at 0x[0-9a-f]+, Output = async_walkthrough::timing::timeline::Timeline, not started>",
    ),
]


def test_values_take_rusts_form_of_cpythons():
    rust, python = post_cells(RUST)[1:], code_cells(PYTHON)
    values = [
        (result_text(theirs), result_text(ours))
        for theirs, ours in zip(python, rust)
        if result_text(theirs) is not None
    ]
    assert len(values) == len(VALUES)
    for (theirs, ours), (their_form, our_form) in zip(values, VALUES):
        assert re.fullmatch(their_form, theirs), theirs
        assert re.fullmatch(our_form, ours), ours


def test_a_timeline_follows_each_run():
    sources = ["".join(cell["source"]) for cell in code_cells(RUST)]
    for run, timeline in TIMELINES.items():
        assert sources[sources.index(run) + 1] == timeline
        outputs = code_cells(RUST)[sources.index(run) + 1]["outputs"]
        assert "image/svg+xml" in outputs[0]["data"]
