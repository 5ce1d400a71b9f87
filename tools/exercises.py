"""The notebooks' exercises, and running their checks on other code.

An exercise is two code cells of a notebook: the starting code, tagged
`exercise=NAME`, and its check, tagged `check=NAME`. Its solution is
exercises/solutions/NAME.rs and its wrong attempts exercises/wrong/NAME/*.rs,
each opening with `// expect: TEXT`, a text its check's verdict must name.

`run(notebook, attempts)` executes, on a fresh kernel of the project, the
notebook's first code cell (the crate and its imports) and then, for each
attempt, its code in place of the exercise cell followed by the check cell:
the exercises' lessons are not needed, so a run costs a kernel start and the
checks. Used by tests/test_exercises.py and `make repeat-exercises`.
"""
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "exercises" / "solutions"
WRONG = ROOT / "exercises" / "wrong"
WITH_EXERCISES = ["01-asyncio-walkthrough", "02-beyond-the-post", "04-llmops", "05-asyncio-to-tokio"]

# A check's own lines: one per point, and its summary.
VERDICT = re.compile(r"^(?:[✓✗] .*|[A-Za-z ]+: (?:solved, all \d+|not yet, \d+ of \d+) points hold)$")
EXPECT = re.compile(r"^// expect: (.+)$", re.MULTILINE)


@dataclass
class Exercise:
    name: str
    starting: str
    check: str
    tally_index: int  # place of the exercise in the notebook's tally
    committed: list[str]  # the check's verdict lines as committed


@dataclass
class Attempt:
    exercise: Exercise
    label: str  # "starting", "solution" or a wrong attempt's file name
    source: str

    @property
    def expect(self) -> str | None:
        found = EXPECT.search(self.source)
        return found.group(1) if found else None


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def tagged(cell, key: str) -> str | None:
    for tag in tags(cell):
        if tag.startswith(key + "="):
            return tag.split("=", 1)[1]
    return None


def stdout_lines(cell) -> list[str]:
    text = "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stdout")
    return text.splitlines()


def verdict_lines(cell) -> list[str]:
    return [line for line in stdout_lines(cell) if VERDICT.match(line)]


def path_of(name: str) -> Path:
    return NOTEBOOKS / f"{name}.ipynb"


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(path_of(name), as_version=4)


def setup_cell(notebook) -> str:
    return next(cell.source for cell in notebook.cells if cell.cell_type == "code")


def tally_cell(notebook) -> str:
    return next(cell.source for cell in notebook.cells if "exercise-tally" in tags(cell))


def exercises(notebook) -> list[Exercise]:
    starting = {tagged(c, "exercise"): c for c in notebook.cells if tagged(c, "exercise")}
    found = []
    for cell in notebook.cells:
        name = tagged(cell, "check")
        if name:
            found.append(Exercise(name, starting[name].source, cell.source, len(found), verdict_lines(cell)))
    return found


def attempts(exercise: Exercise) -> list[Attempt]:
    """The starting code, every wrong attempt, then the solution (last, so
    that the tally run after them counts the solutions)."""
    wrong = sorted((WRONG / exercise.name).glob("*.rs"))
    return ([Attempt(exercise, "starting", exercise.starting)]
            + [Attempt(exercise, path.stem, path.read_text()) for path in wrong]
            + [Attempt(exercise, "solution", (SOLUTIONS / f"{exercise.name}.rs").read_text())])


def run(name: str, chosen: list[Attempt], timeout: int = 300) -> tuple[list[list[str]], list[str]]:
    """Executes the chosen attempts in the notebook's kernel; returns each
    attempt's verdict lines, and what the tally cell printed after them."""
    notebook = read(name)
    cells = [nbformat.v4.new_code_cell(setup_cell(notebook))]
    for attempt in chosen:
        cells += [nbformat.v4.new_code_cell(attempt.source), nbformat.v4.new_code_cell(attempt.exercise.check)]
    cells.append(nbformat.v4.new_code_cell(tally_cell(notebook)))
    scratch = nbformat.v4.new_notebook(metadata=notebook.metadata)
    scratch.cells = cells
    NotebookClient(scratch, timeout=timeout, startup_timeout=600, kernel_name="rust",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    checks = scratch.cells[2::2][: len(chosen)]
    return [verdict_lines(cell) for cell in checks], stdout_lines(scratch.cells[-1])


def main() -> int:
    """Runs every exercise's starting code and check `--runs` times, one
    kernel per notebook and run, and compares each verdict with the
    committed one."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Repeat the exercises' checks on their starting code.")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args()
    identical = 0
    for run_number in range(1, args.runs + 1):
        started, differing = time.monotonic(), []
        for name in WITH_EXERCISES:
            found = exercises(read(name))
            verdicts, _ = run(name, [attempts(exercise)[0] for exercise in found], args.timeout)
            differing += [(e.name, e.committed, v) for e, v in zip(found, verdicts) if v != e.committed]
        took = time.monotonic() - started
        if differing:
            print(f"run {run_number}: {took:.1f} s, DIFFERS in {[name for name, _, _ in differing]}")
            for name, committed, seen in differing:
                print(f"  {name} committed: {committed}\n  {name} this run:  {seen}")
        else:
            identical += 1
            print(f"run {run_number}: {took:.1f} s, identical")
    print(f"{identical}/{args.runs} runs: every exercise's verdict identical to the committed one")
    return 0 if identical == args.runs else 1


if __name__ == "__main__":
    import sys

    sys.exit(main())
