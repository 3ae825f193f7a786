"""Every exercise sits in its chapter in the form the student copies and the grader rely on.

An exercise cell is tagged ``qkv-exercise`` and ``hide-cell``, names its exercise in
``metadata.qkv.exercise``, defines a function with the exercise's id as its name and the
registry's parameters, keeps the reference between ``# BEGIN SOLUTION`` and ``# END SOLUTION``,
and is followed by a check cell ``qkv.check("<id>", <id>)``.
"""

import ast
import re
from pathlib import Path

import nbformat
import pytest

from qkv_lib.exercises import EXERCISES

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"


def exercise_cells():
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        for i, cell in enumerate(cells):
            if "qkv-exercise" in cell.metadata.get("tags", []):
                yield pytest.param(path, cells, i, id=f"{path.stem}:cell{i}")


def chapter_number(path: Path) -> int:
    return int(path.name.split("_", 1)[0])


@pytest.mark.parametrize("path,cells,index", list(exercise_cells()))
def test_exercise_cell_follows_the_convention(path, cells, index):
    cell = cells[index]
    exercise_id = cell.metadata.get("qkv", {}).get("exercise")
    assert exercise_id in EXERCISES, f"metadata.qkv.exercise is {exercise_id!r}"
    exercise = EXERCISES[exercise_id]
    assert chapter_number(path) == exercise.chapter, "the exercise sits in another chapter"
    assert "hide-cell" in cell.metadata["tags"]

    lines = cell.source.splitlines()
    begin = [i for i, line in enumerate(lines) if line.strip() == "# BEGIN SOLUTION"]
    end = [i for i, line in enumerate(lines) if line.strip() == "# END SOLUTION"]
    assert len(begin) == len(end) == 1 and begin[0] < end[0], "one BEGIN/END SOLUTION pair"

    functions = [n for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
    assert [f.name for f in functions] == [exercise_id], "one function named as the exercise"
    parameters = [a.arg for a in functions[0].args.args]
    expected = re.findall(r"\w+", exercise.call.removeprefix("fn"))
    assert len(parameters) == len(expected) == exercise.arity, (parameters, exercise.call)

    following = next(c for c in cells[index + 1 :] if c.cell_type == "code")
    assert following.source.strip() == f'qkv.check("{exercise_id}", {exercise_id})'


def test_every_exercise_appears_exactly_once_in_the_book():
    placed = [
        cells[i].metadata["qkv"]["exercise"] for _, cells, i in (p.values for p in exercise_cells())
    ]
    assert sorted(placed) == sorted(EXERCISES), placed


@pytest.mark.parametrize("path", sorted(CHAPTERS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_chapter_sets_a_graded_exercise(path):
    graded = [e.id for e in EXERCISES.values() if e.chapter == chapter_number(path)]
    assert graded, f"{path.name} sets no exercise checked by qkv.check"


@pytest.mark.parametrize("path,cells,index", list(exercise_cells()))
def test_the_statement_is_an_exercise_directive_that_agrees_with_the_catalogue(path, cells, index):
    """The markdown just above an exercise cell states it, as `{exercise}` with folded hints."""
    exercise = EXERCISES[cells[index].metadata["qkv"]["exercise"]]
    statement = next(c for c in reversed(cells[:index]) if c.cell_type == "markdown").source
    label = f"ch{exercise.chapter:02d}-{exercise.id.replace('_', '-')}"
    assert f"```{{exercise}} {exercise.title}\n:label: {label}\n" in statement, statement[:200]
    assert f"`{exercise.id}(" in statement, "the statement names the function to complete"
    stated = re.search(r"\*Difficulty: (\w+)\. Time: (\d+) minutes\.\*", statement)
    assert stated, "the statement gives '*Difficulty: ... Time: N minutes.*'"
    assert stated.groups() == (exercise.difficulty, str(exercise.minutes))
    hints = statement.count("<details>")
    assert hints >= 1 and hints == statement.count("</details>") == statement.count("<summary>")
    directive = statement.split("```{exercise}", 1)[1]
    assert directive.rstrip().endswith("```") and "<details>" in directive, "hints inside it"
