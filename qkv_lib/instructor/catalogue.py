"""``qkv-course exercises``: every exercise of the course with its chapter, points and time."""

from __future__ import annotations

import csv
import io

from ..exercises import EXERCISES

__all__ = ["COLUMNS", "catalogue_csv", "catalogue_table"]

COLUMNS = ("id", "chapter", "title", "points", "minutes", "difficulty")


def _rows() -> list[tuple[str, ...]]:
    return [
        (e.id, str(e.chapter), e.title, str(e.points), str(e.minutes), e.difficulty)
        for e in EXERCISES.values()
    ]


def catalogue_csv() -> str:
    """The catalogue as CSV text, with a header line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_rows())
    return out.getvalue()


def catalogue_table() -> str:
    """The catalogue as an aligned plain-text table, with totals per chapter and overall."""
    rows = [COLUMNS, *_rows()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    points = sum(e.points for e in EXERCISES.values())
    minutes = sum(e.minutes for e in EXERCISES.values())
    lines.append(f"\n{len(EXERCISES)} exercises, {points} points, about {minutes} minutes")
    return "\n".join(line.rstrip() for line in lines) + "\n"
