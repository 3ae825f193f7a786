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
CH4 = ["scores", "attention_weights", "attention", "causal_mask"]
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


def outcome(file="alice/ch4.ipynb", status="ok", codes=("pass", "pass", "missing-scale", "pass")):
    """A chapter-4 outcome for ``file`` with one code per exercise of CH4."""
    results = tuple(
        ExerciseResult(i, EXERCISES[i].points * (c == "pass"), EXERCISES[i].points, c, "msg")
        for i, c in zip(CH4, codes, strict=True)
    )
    return Outcome(file.split("/")[0], file, 4, status, results, "")
