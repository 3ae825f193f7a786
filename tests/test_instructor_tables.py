"""Tests for qkv_lib.instructor.tables: the generated tables of the page "For instructors"."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

import nbformat

from qkv_lib.exercises import EXERCISES, GENERIC_CODES
from qkv_lib.instructor import tables
from qkv_lib.instructor.chapters import find_chapters, stated_time
from qkv_lib.instructor.grading.outcome import GRADER_CODES, STATUSES

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"


class Cells(html.parser.HTMLParser):
    """The text of every body cell, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def body_rows(table: str) -> list[list[str]]:
    parser = Cells()
    parser.feed(table)
    return [row for row in parser.rows if row]


def test_every_chapter_has_a_row_with_its_exercises_points_and_time():
    rows = body_rows(tables.chapters_table(CHAPTERS))
    chapters = find_chapters(CHAPTERS)
    assert len(rows) == len(chapters) == 8
    for (number, path), (title, ids, points, time) in zip(chapters.items(), rows, strict=True):
        assert title.startswith(f"{number}. ")
        listed = [] if ids == "none" else ids.split(", ")
        assert listed == [e.id for e in EXERCISES.values() if e.chapter == number]
        assert int(points) == sum(EXERCISES[i].points for i in listed)
        assert time == stated_time(nbformat.read(path, as_version=4)) and time.startswith("about")


def test_every_code_has_a_row():
    rows = body_rows(tables.codes_table())
    generic = [(code, meaning) for code, exercise, meaning in rows if exercise == "any"]
    assert generic == list(GENERIC_CODES.items())
    grader = [(code, meaning) for code, exercise, meaning in rows if exercise == "any (grader)"]
    assert grader == list(GRADER_CODES.items())
    mistakes = {(code, exercise) for code, exercise, _ in rows if not exercise.startswith("any")}
    assert mistakes == {(m.code, e.id) for e in EXERCISES.values() for m in e.mistakes}


def test_cells_are_escaped():
    table = tables._table("a <caption>", ("<th>",), [("<script>alert(1)</script>",)])
    assert "<script>" not in table and "&lt;script&gt;" in table


def test_every_code_the_grader_gives_is_documented():
    grading = Path(tables.__file__).with_name("grading")
    literal = re.compile(r'_result\(\s*exercise_id,\s*"([a-z-]+)"')
    given = {m for p in grading.glob("*.py") for m in literal.findall(p.read_text("utf-8"))}
    assert given, "no code found: the pattern no longer matches how the grader gives codes"
    assert given | set(STATUSES[1:]) <= set(GRADER_CODES) | set(GENERIC_CODES)
    assert not set(GRADER_CODES) & set(GENERIC_CODES)
