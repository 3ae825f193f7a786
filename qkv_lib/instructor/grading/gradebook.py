"""The gradebook: one CSV row per submission, on disk as soon as it is graded.

Columns ``student,file,chapter,status,score,max_score``, then ``<id>`` (points) and
``<id>_code`` for each exercise in the run, in catalogue order; a cell is blank where the
exercise is not part of that row's chapter. Each row is flushed and ``fsync``-ed when
written, so a run that is killed leaves a valid CSV of the rows it finished. ``resume`` keeps
the rows already there (if the header is the same) and reports which files they cover; a
plain run starts the file afresh.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ..errors import UsageError
from .outcome import STATUSES, Outcome

__all__ = ["BASE_COLUMNS", "Gradebook", "columns", "row"]

BASE_COLUMNS = ("student", "file", "chapter", "status", "score", "max_score")


def columns(exercise_ids: list[str]) -> list[str]:
    """The header for a run grading ``exercise_ids``."""
    return [*BASE_COLUMNS, *(c for i in exercise_ids for c in (i, f"{i}_code"))]


def row(outcome: Outcome, exercise_ids: list[str]) -> dict[str, str]:
    """``outcome`` as a row of text cells keyed by column."""
    max_score = outcome.max_score
    cells = {
        "student": outcome.student,
        "file": outcome.file,
        "chapter": "" if outcome.chapter is None else str(outcome.chapter),
        "status": outcome.status,
        "score": str(outcome.score),
        "max_score": "" if max_score is None else str(max_score),
    }
    by_id = {r.exercise_id: r for r in outcome.results}
    for exercise_id in exercise_ids:
        result = by_id.get(exercise_id)
        cells[exercise_id] = "" if result is None else str(result.points)
        cells[f"{exercise_id}_code"] = "" if result is None else result.code
    return cells


def _read(path: Path, header: list[str]) -> list[dict[str, str]]:
    """The complete, well-formed rows of the gradebook at ``path``; UsageError on another header."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            lines = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"--resume: cannot read {path} ({error})") from None
    if not lines:
        return []
    if lines[0] != header:
        raise UsageError(
            f"--resume: {path} has other columns than this run ({','.join(lines[0][:8])}...); "
            "grade into another --out, or drop --resume to start it afresh"
        )
    kept, seen = [], set()
    for cells in lines[1:]:  # a row cut short by a kill is dropped and graded again
        record = dict(zip(header, cells, strict=False))
        if len(cells) != len(header) or record["status"] not in STATUSES:
            continue
        if record["file"] and record["file"] not in seen:
            seen.add(record["file"])
            kept.append(record)
    return kept


class Gradebook:
    """The CSV at ``path`` open for appending rows; ``rows`` holds every row it contains."""

    def __init__(self, path: Path, header: list[str], resume: bool = False) -> None:
        path = Path(path)
        if path.is_dir():
            raise UsageError(f"--out {path}: that is a folder; give a CSV file name")
        self.path, self.header = path, header
        self.rows = _read(path, header) if resume and path.is_file() else []
        self.kept = len(self.rows)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = path.with_name(f".{path.name}.tmp")
            with fresh.open("w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, header, lineterminator="\n")
                writer.writeheader()
                writer.writerows(self.rows)
                f.flush()
                os.fsync(f.fileno())
            os.replace(fresh, path)
            self._file = path.open("a", newline="", encoding="utf-8")
        except OSError as error:
            raise UsageError(f"--out {path}: cannot write it ({error.strerror})") from None
        self._writer = csv.DictWriter(self._file, header, lineterminator="\n")

    @property
    def files(self) -> set[str]:
        """The ``file`` of every row: what ``--resume`` does not grade again."""
        return {r["file"] for r in self.rows}

    def write(self, cells: dict[str, str]) -> None:
        """Append one row and make sure it is on disk before returning."""
        self._writer.writerow(cells)
        self._file.flush()
        os.fsync(self._file.fileno())
        self.rows.append(cells)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
