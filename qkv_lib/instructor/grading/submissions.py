"""Which notebooks to grade, whose they are, and which can be run at all (``qkv-course grade``).

A PATH is a notebook or a folder searched recursively (``.ipynb_checkpoints`` skipped). In
``SUBMISSIONS/<student>/<anything>.ipynb`` the student is the first folder below the given
one; otherwise the student is the file's stem. Each notebook is read once here: one that is
not a notebook is ``corrupt``, one of another chapter (or of no chapter with exercises) is
``wrong-chapter``; neither is run.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..chapters import chapter_exercises, chapter_number
from ..errors import UsageError
from .limits import NOTEBOOK_MAX

__all__ = ["Submission", "find_notebooks", "read_submission", "submissions"]

_SKIP = ".ipynb_checkpoints"


@dataclass(frozen=True)
class Submission:
    """One notebook to grade: ``file`` is its gradebook key, ``chapter`` the one to grade it as.

    ``status`` is ``None`` when it is to be run, else ``"corrupt"`` or ``"wrong-chapter"``
    with ``detail`` saying why in one line. ``detected`` is the chapter read from the notebook.
    """

    path: Path
    file: str
    student: str
    detected: int | None = None
    chapter: int | None = None
    status: str | None = None
    detail: str = ""


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != _SKIP)
        found += [Path(root) / f for f in files if f.endswith(".ipynb")]
    return found


def find_notebooks(paths: list[Path]) -> list[tuple[Path, str, str]]:
    """``(path, file, student)`` of every notebook under ``paths``, sorted by ``file``.

    UsageError for a PATH that does not exist, for no notebook at all, and for two different
    notebooks that would share one gradebook key.
    """
    by_file: dict[str, Path] = {}
    seen: set[Path] = set()
    found = []
    for given in map(Path, paths):
        if not given.exists():
            raise UsageError(f"{given}: no such file or folder")
        if given.is_dir():
            entries = []
            for path in _walk(given):
                parts = path.relative_to(given).parts
                student = parts[0] if len(parts) > 1 else path.stem
                entries.append((path, Path(*parts).as_posix(), student))
        else:
            entries = [(given, given.as_posix(), given.stem)]
        for path, file, student in entries:
            real = path.resolve()
            if real in seen:
                continue
            if file in by_file:
                raise UsageError(
                    f"{by_file[file]} and {path} would both be recorded as {file!r}: "
                    "grade them in separate runs, or give their common parent folder"
                )
            seen.add(real)
            by_file[file] = path
            found.append((path, file, student))
    if not found:
        raise UsageError(f"no notebook (.ipynb) found in {' '.join(map(str, paths))}")
    return sorted(found, key=lambda entry: entry[1])


def _read(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``; ValueError (one line) if it cannot be graded as a notebook."""
    if path.stat().st_size > NOTEBOOK_MAX:
        raise ValueError(f"larger than {NOTEBOOK_MAX // 1_000_000} MB")
    text = path.read_bytes().decode("utf-8", errors="replace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nb = nbformat.reads(text, as_version=4, capture_validation_error={})
        except Exception as error:  # every way a file can fail to be a notebook
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise ValueError(f"not a notebook ({type(error).__name__}: {first[:200]})") from None
    cells = nb.get("cells")
    if not isinstance(cells, list) or not isinstance(nb.get("metadata"), dict):
        raise ValueError("not a notebook (no list of cells)")
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or not isinstance(cell.get("source"), str):
            raise ValueError(f"not a notebook (cell {index} has no source text)")
    return nb


def _chapter(nb: nbformat.NotebookNode) -> int | None:
    try:
        return chapter_number(nb)
    except Exception:  # odd metadata: the chapter is just unknown
        return None


def read_submission(path: Path, file: str, student: str, chapter: int | None) -> Submission:
    """Read one notebook and decide whether it is run; ``chapter`` is ``--chapter`` or None."""
    try:
        nb = _read(path)
    except (OSError, ValueError) as error:
        return Submission(path, file, student, None, chapter, "corrupt", str(error))
    detected = _chapter(nb)
    if chapter is not None:
        if detected is not None and detected != chapter:
            why = f"this is chapter {detected}'s notebook, graded as chapter {chapter}"
            return Submission(path, file, student, detected, chapter, "wrong-chapter", why)
        return Submission(path, file, student, detected, chapter)
    if detected is None:
        why = "no chapter found (title '# N. ...' or metadata.qkv.chapter): give --chapter N"
        return Submission(path, file, student, None, None, "wrong-chapter", why)
    if not chapter_exercises(detected):
        why = f"chapter {detected} has no exercises to grade"
        return Submission(path, file, student, detected, None, "wrong-chapter", why)
    return Submission(path, file, student, detected, detected)


def submissions(paths: list[Path], chapter: int | None) -> list[Submission]:
    """Every notebook under ``paths``, read and classified; UsageError for bad PATHs."""
    if chapter is not None and not chapter_exercises(chapter):
        raise UsageError(f"--chapter {chapter}: that chapter has no exercises to grade")
    return [read_submission(*entry, chapter) for entry in find_notebooks(paths)]
