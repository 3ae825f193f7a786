"""The tables of the book's page "For instructors", generated from the course itself.

Each is an HTML ``<table>`` built from the chapters and the exercise catalogue, so the page
cannot drift from what the checkers and the grader do: the chapters with their exercises,
points and stated times, and every result code with its meaning.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

from ..exercises import EXERCISES, GENERIC_CODES
from .chapters import chapter_exercises, find_chapters, stated_time
from .grading.outcome import GRADER_CODES

__all__ = ["chapters_table", "codes_table"]


def _table(caption: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return (
        f'<table class="qkv-instructor-table"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def chapters_table(source: Path) -> str:
    """One row per chapter: its title, its graded exercises, their points, and its stated time."""
    rows = []
    for number, path in find_chapters(source).items():
        nb = nbformat.read(path, as_version=4)
        title = next(
            (c.source.splitlines()[0].lstrip("# ") for c in nb.cells if c.cell_type == "markdown"),
            path.stem,
        )
        ids = chapter_exercises(number)
        points = sum(EXERCISES[i].points for i in ids)
        rows.append((title, ", ".join(ids) or "none", points, stated_time(nb) or ""))
    return _table(
        "The chapters, their graded exercises and the time each states",
        ("Chapter", "Graded exercises (function names)", "Points", "Time"),
        rows,
    )


def codes_table() -> str:
    """Every code a gradebook or a check can show: generic, the grader's, each known mistake."""
    rows = [(code, "any", meaning) for code, meaning in GENERIC_CODES.items()]
    rows += [(code, "any (grader)", meaning) for code, meaning in GRADER_CODES.items()]
    rows += [
        (mistake.code, exercise.id, mistake.message)
        for exercise in EXERCISES.values()
        for mistake in exercise.mistakes
    ]
    return _table(
        "Result codes: the generic ones, the grader's, then each exercise's known mistakes",
        ("Code", "Exercise", "What it means (the learner sees this message)"),
        rows,
    )
