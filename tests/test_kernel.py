"""The Rust kernel as a learner meets it: futures and tasks kept across cells,
and the dependency versions it builds with.

Each test runs a small notebook of its own on a fresh kernel, from notebooks/
so that `../crate` resolves as in the real notebooks.
"""
import os
import re
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from helpers import PYTHON_POST as PYTHON, code_cells, stdout_lines  # noqa: E402

DEP_CELL = ':dep async_walkthrough = { path = "../crate" }\nuse async_walkthrough::prelude::*;'


def run_cells(*sources: str) -> list[nbformat.NotebookNode]:
    """Executes the cells in order on a fresh Rust kernel; returns them with
    their outputs."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (DEP_CELL, *sources)]
    NotebookClient(
        notebook,
        timeout=600,
        startup_timeout=120,
        kernel_name="rust",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    ).execute()
    return notebook.cells[1:]


def stderr_text(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")


def result(cell) -> str | None:
    for output in cell.outputs:
        if output.output_type == "execute_result":
            return output.data["text/plain"]
    return None


def cpython_lines_of_the_async_run() -> list[str]:
    lines = [line for cell in code_cells(PYTHON) for line in stdout_lines(cell)]
    start = len(lines) - 10
    return [re.sub(r"\d+\.\d+$", "", line.replace("for sync", "for async")) for line in lines[start:]]


def test_a_later_kept_in_one_cell_prints_the_posts_lines_when_awaited_in_another():
    keep, show, other, run = run_cells(
        "let coro = later(process_async());",
        "coro",
        'println!("another cell");',
        "let async_run: Timeline = coro.await;",
    )
    assert keep.outputs == []
    assert re.fullmatch(r"<later \S+process_async::\{\{closure\}\}, Output = \S+Timeline, not started>", result(show))
    printed = [re.sub(r"\d+\.\d+$", "", line) for line in stdout_lines(run)]
    assert printed == cpython_lines_of_the_async_run()
    assert all(stderr_text(cell) == "" for cell in (keep, show, other, run))


def test_a_task_awaited_two_cells_later_loses_no_line():
    create, other, wait = run_cells(
        "let task = create_task(find_users_async(2));",
        "std::thread::sleep(std::time::Duration::from_millis(1500));",
        "task.await",
    )
    lines = [line for cell in (create, other, wait) for line in stdout_lines(cell)]
    assert lines == [
        "1th user is being searched out of 2 people...",
        "2th user is being searched out of 2 people...",
        "Total 2 people have been searched!",
    ]
    assert result(wait) == "Ok(())"
    assert all(stderr_text(cell) == "" for cell in (create, other, wait))


def test_an_aborted_task_reports_that_it_was_cancelled():
    create, abort, wait = run_cells(
        "let task = create_task(find_users_async(5));",
        "task.abort();",
        "task.await.unwrap_err().is_cancelled()",
    )
    assert result(wait) == "true"
    assert all(stderr_text(cell) == "" for cell in (create, abort, wait))


def test_a_panicking_task_is_an_error_value_and_the_kernel_lives_on():
    create, wait, after = run_cells(
        'let task: Task<()> = create_task(async { panic!("inside the task") });',
        "task.await.unwrap_err().is_panic()",
        "1 + 1",
    )
    assert result(wait) == "true"
    assert result(after) == "2"


def locked_versions(lock: Path) -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for package in tomllib.loads(lock.read_text())["package"]:
        versions.setdefault(package["name"], set()).add(package["version"])
    return versions


def test_the_kernel_builds_with_the_workspaces_locked_versions():
    (cell,) = run_cells("async fn answer() -> u32 { 42 }\nanswer().await")
    assert result(cell) == "42"
    kernel = locked_versions(Path(os.environ["EVCXR_TMPDIR"]) / "Cargo.lock")
    workspace = locked_versions(ROOT / "Cargo.lock")
    assert kernel["tokio"] == workspace["tokio"]
    # The kernel's graph is a part of the workspace's (no dev-dependencies):
    # every version it uses must be one the workspace locked.
    unlocked = {name: versions for name, versions in kernel.items()
                if name not in ("ctx", "async_walkthrough") and not versions <= workspace.get(name, set())}
    assert unlocked == {}


def test_two_notebooks_open_at_once_build_their_cells_apart():
    """Two kernels at once, as when a learner has two notebooks open: each
    builds its cells in a directory of its own, even while both compile."""
    kernels = [start_new_kernel(kernel_name="rust", cwd=str(ROOT / "notebooks"), startup_timeout=120)
               for _ in range(2)]

    def run(kernel: int, source: str) -> tuple[str, str]:
        printed = {"stdout": "", "stderr": ""}

        def keep(message) -> None:
            if message["msg_type"] == "stream":
                printed[message["content"]["name"]] += message["content"]["text"]
            elif message["msg_type"] == "error":
                printed["stderr"] += message["content"]["evalue"]

        kernels[kernel][1].execute_interactive(source, timeout=600, output_hook=keep)
        return printed["stdout"], printed["stderr"]

    def cells(kernel: int) -> list[str]:
        return [DEP_CELL, f"fn which() -> usize {{ {kernel} }}", 'println!("kernel {}", which());']

    try:
        with ThreadPoolExecutor(2) as pool:
            for step in range(3):
                both = list(pool.map(lambda kernel: run(kernel, cells(kernel)[step]), range(2)))
                printed = ["kernel 0\n", "kernel 1\n"] if step == 2 else ["", ""]
                assert both == [(printed[0], ""), (printed[1], "")]
    finally:
        for manager, client in kernels:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
