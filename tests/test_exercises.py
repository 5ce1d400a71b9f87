"""The exercises' checks, run three ways in the notebooks' own kernel: on the
starting code (it fails, printing exactly the committed lines), on every
wrong attempt (it fails, naming what went wrong) and on the solution (it
passes). So no check passes the starting code, and every check can be
passed. The attempts are in exercises/; tools/exercises.py runs them.
"""
import sys

import pytest

from helpers import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import exercises as ex  # noqa: E402

EXERCISES = {name: ex.exercises(ex.read(name)) for name in ex.WITH_EXERCISES}
ALL = [(name, exercise) for name, found in EXERCISES.items() for exercise in found]


def summary(lines: list[str]) -> str:
    return lines[-1] if lines else "(no verdict printed)"


def test_every_notebook_has_two_exercises_or_more_and_each_its_solution_and_a_wrong_attempt():
    assert all(len(found) >= 2 for found in EXERCISES.values()), {n: len(f) for n, f in EXERCISES.items()}
    assert len(ALL) >= 8
    names = [exercise.name for _, exercise in ALL]
    assert len(set(names)) == len(names), "one name per exercise"
    for _, exercise in ALL:
        assert (ex.SOLUTIONS / f"{exercise.name}.rs").is_file(), exercise.name
        wrong = ex.attempts(exercise)[1:-1]
        assert wrong, f"{exercise.name}: no wrong attempt"
        assert all(attempt.expect for attempt in wrong), f"{exercise.name}: a wrong attempt without `// expect:`"
    on_disk = {path.stem for path in ex.SOLUTIONS.glob("*.rs")} | {path.name for path in ex.WRONG.iterdir()}
    assert on_disk == set(names), "a solution or attempt for no exercise"


@pytest.mark.parametrize("name,exercise", ALL, ids=[e.name for _, e in ALL])
def test_the_committed_notebook_shows_the_starting_state_with_its_hint(name, exercise):
    assert summary(exercise.committed).startswith(f"{summary(exercise.committed).split(':')[0]}: not yet")
    cells = ex.read(name).cells
    check = next(i for i, c in enumerate(cells) if ex.tagged(c, "check") == exercise.name)
    hint = cells[check + 1]
    assert hint.cell_type == "markdown" and hint.source.startswith("<details><summary>Hint</summary>")
    assert f"&{exercise.name.replace('-', '_')}" in ex.tally_cell(ex.read(name))


@pytest.fixture(scope="module")
def runs():
    """Every attempt of every exercise, one kernel per notebook, run once."""
    done = {}
    for name, found in EXERCISES.items():
        chosen = [attempt for exercise in found for attempt in ex.attempts(exercise)]
        verdicts, tally = ex.run(name, chosen)
        done[name] = ({(a.exercise.name, a.label): (a, v) for a, v in zip(chosen, verdicts)}, tally)
    return done


def of(runs, name, exercise, label):
    return runs[name][0][(exercise.name, label)]


@pytest.mark.parametrize("name,exercise", ALL, ids=[e.name for _, e in ALL])
def test_the_starting_code_fails_with_the_committed_lines(runs, name, exercise):
    _, lines = of(runs, name, exercise, "starting")
    assert lines == exercise.committed


@pytest.mark.parametrize("name,exercise", ALL, ids=[e.name for _, e in ALL])
def test_the_solution_passes(runs, name, exercise):
    _, lines = of(runs, name, exercise, "solution")
    assert ": solved, all " in summary(lines), lines
    assert not any(line.startswith("✗") for line in lines), lines


@pytest.mark.parametrize("name,exercise", ALL, ids=[e.name for _, e in ALL])
def test_every_wrong_attempt_fails_naming_what_went_wrong(runs, name, exercise):
    for attempt in ex.attempts(exercise)[1:-1]:
        _, lines = of(runs, name, exercise, attempt.label)
        assert ": not yet, " in summary(lines), (attempt.label, lines)
        assert any(line.startswith("✗") and attempt.expect in line for line in lines), (attempt.label, lines)


@pytest.mark.parametrize("name", ex.WITH_EXERCISES)
def test_the_last_cell_counts_the_solved_exercises(runs, name):
    count = len(EXERCISES[name])
    assert runs[name][1][0] == f"{count} of {count} exercises solved"
    assert runs[name][1][1:] == [f"✓ {summary(e.committed).split(':')[0]}" for e in EXERCISES[name]]


def test_the_readme_lists_every_exercise():
    readme = (ROOT / "README.md").read_text()
    for name, exercise in ALL:
        assert f"`{exercise.name}`" in readme, exercise.name
