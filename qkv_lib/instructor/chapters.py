"""Reading the course's notebooks: which chapter a notebook is, and where its exercises are.

The convention (chapters 1 to 7, checked by ``tests/test_notebook_exercises.py``): an exercise
cell is tagged ``qkv-exercise``, names its exercise in ``metadata.qkv.exercise``, defines one
function named after the exercise and keeps the reference solution between the marker lines
``# BEGIN SOLUTION`` and ``# END SOLUTION``. A notebook's chapter is in ``metadata.qkv.chapter``
(student copies carry it) or in its title, ``# N. ...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..exercises import EXERCISES

__all__ = [
    "BEGIN",
    "END",
    "EXERCISE_TAG",
    "ExerciseCell",
    "chapter_exercises",
    "chapter_number",
    "exercise_cells",
    "find_chapters",
    "stated_time",
]

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
EXERCISE_TAG = "qkv-exercise"
_TITLE = re.compile(r"^#\s+(\d+)\.\s", flags=re.M)
_CHAPTER_FILE = re.compile(r"^(\d+)_\w+\.ipynb$")
_TIME = re.compile(r"^\s*[-*]\s*Time:\s*(.+?)\s*$", flags=re.M)


@dataclass(frozen=True)
class ExerciseCell:
    """An exercise cell: its index, its exercise id, its solution's lines (0-based, inclusive)."""

    index: int
    exercise_id: str
    begin: int  # the "# BEGIN SOLUTION" line
    end: int  # the "# END SOLUTION" line


def exercise_cells(nb: nbformat.NotebookNode) -> list[ExerciseCell]:
    """Every exercise cell of ``nb`` with its solution region; ValueError if one is malformed."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or EXERCISE_TAG not in cell.metadata.get("tags", []):
            continue
        exercise_id = cell.metadata.get("qkv", {}).get("exercise")
        if exercise_id not in EXERCISES:
            raise ValueError(f"cell {index}: metadata.qkv.exercise is {exercise_id!r}, no exercise")
        lines = [line.strip() for line in cell.source.splitlines()]
        paired = lines.count(BEGIN) == 1 and lines.count(END) == 1
        if not paired or lines.index(BEGIN) > lines.index(END):
            raise ValueError(f"cell {index} ({exercise_id}): needs one {BEGIN!r} ... {END!r} pair")
        found.append(ExerciseCell(index, exercise_id, lines.index(BEGIN), lines.index(END)))
    return found


def chapter_exercises(chapter: int) -> list[str]:
    """The ids of the exercises set in ``chapter``, in catalogue order."""
    return [e.id for e in EXERCISES.values() if e.chapter == chapter]


def chapter_number(nb: nbformat.NotebookNode) -> int | None:
    """The chapter ``nb`` belongs to: its ``metadata.qkv.chapter``, else its title, else None."""
    stated = nb.metadata.get("qkv", {}).get("chapter")
    if isinstance(stated, int) and not isinstance(stated, bool):
        return stated
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _TITLE.search(cell.source)
            if match:
                return int(match.group(1))
    return None


def find_chapters(source: Path) -> dict[int, Path]:
    """The chapter notebooks in ``source`` (``NN_topic.ipynb``), by chapter number."""
    chapters = {}
    for path in sorted(Path(source).glob("*.ipynb")):
        match = _CHAPTER_FILE.match(path.name)
        if match:
            chapters[int(match.group(1))] = path
    return chapters


def stated_time(nb: nbformat.NotebookNode) -> str | None:
    """The time a chapter states in its Prerequisites ("about 45 minutes, plus ..."), or None."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _TIME.search(cell.source)
            if match:
                return match.group(1).rstrip(".")
    return None
