"""What the grading tests share: chapter 4's exercises, the gradebook's first columns, fixtures.

Used by tests/test_grading.py, tests/test_grading_gradebook.py and tests/test_grading_units.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat

from qkv_lib.exercises import EXERCISES
from qkv_lib.instructor.grading.outcome import ExerciseResult, Outcome

#: Chapter 4's exercises, in catalogue order (the grading tests' main subject).
CH4 = [e.id for e in EXERCISES.values() if e.chapter == 4]
#: The points of chapter 4, and a chapter number that sets no exercise.
MAX4 = sum(EXERCISES[i].points for i in CH4)
NO_EXERCISES = max(e.chapter for e in EXERCISES.values()) + 1
#: The gradebook's columns before the exercises'.
BASE = ["student", "file", "chapter", "status", "score", "max_score"]


def write_notebook(path: Path, nb) -> None:
    """Write ``nb`` (a notebook, or raw text for a corrupt one) at ``path``, folders included."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, str):
        path.write_text(nb)
    else:
        nbformat.write(nb, path)


def read_gradebook(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The gradebook's header and its rows as dicts; fails if a row is cut short."""
    lines = list(csv.reader(path.open(newline="")))
    assert all(len(line) == len(lines[0]) for line in lines), "a row is cut short"
    return lines[0], [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]


def points(*exercise_ids: str) -> int:
    """The points the exercises ``exercise_ids`` are worth together."""
    return sum(EXERCISES[i].points for i in exercise_ids)


def codes(**given: str) -> tuple[str, ...]:
    """One code per exercise of CH4: ``given[id]`` where given, else ``"pass"``."""
    assert set(given) <= set(CH4), given
    return tuple(given.get(i, "pass") for i in CH4)


def outcome(file="alice/ch4.ipynb", status="ok", results_codes=None):
    """A chapter-4 outcome for ``file``: one code per exercise of CH4 (default: all pass but
    ``attention``, which is missing its scale)."""
    given = results_codes or codes(attention="missing-scale")
    results = tuple(
        ExerciseResult(i, EXERCISES[i].points * (c == "pass"), EXERCISES[i].points, c, "msg")
        for i, c in zip(CH4, given, strict=True)
    )
    return Outcome(file.split("/")[0], file, 4, status, results, "")
