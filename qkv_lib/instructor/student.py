"""``qkv-course student``: learners' copies of the chapters, with every answer taken out.

A copy is its chapter (the answer key) with:

* each solution region, from the ``# BEGIN SOLUTION`` line to the ``# END SOLUTION`` line,
  replaced by one line at the BEGIN line's indentation,
  ``raise NotImplementedError("Exercise <id>: ...")``. ``qkv.check`` reports that stub as
  "not attempted" (it raises only with ``QKV_CHECK_STRICT=1``), so a copy runs top to bottom;
* every ``{solution}`` block of the prose removed, the text around it kept
  (:mod:`~qkv_lib.instructor.solutions` says which fences count);
* every cell tagged ``qkv-answer`` removed. That tag marks an ANSWER-ONLY cell: one that only
  works, or only makes sense, with the solutions in place, e.g. a demonstration that calls an
  exercise's function after its cell. The answer key runs it (book, tests); learners never
  see it. No chapter needs one today;
* outputs, execution counts, run timings, code cells' attachments and the saved widget state
  (``metadata.widgets``) cleared;
* ``metadata.qkv = {"chapter": N, "student_copy": true}``: the grader reads the chapter there.

Exercise cells keep their ids, their tags (``qkv-exercise``) and ``metadata.qkv.exercise``;
every cell keeps its id. The leak guard (:mod:`~qkv_lib.instructor.leaks`) searches every copy
before any is written: one leaking copy and nothing is written at all.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path

import nbformat

from .chapters import exercise_cells, find_chapters
from .errors import UsageError
from .leaks import check_no_leaks, secret_lines
from .solutions import GATED_SOLUTION, is_answer_cell, remove_solution_blocks

__all__ = ["STUB", "student_copy", "write_student_copies"]

STUB = (
    'raise NotImplementedError("Exercise {id}: replace this line with your code; '
    'the hints are in the text above")'
)


def _stub_solution(source: str, exercise_id: str, begin: int, end: int) -> str:
    lines = source.splitlines()
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    kept = [*lines[:begin], indent + STUB.format(id=exercise_id), *lines[end + 1 :]]
    return "\n".join(kept) + ("\n" if source.endswith("\n") else "")


def student_copy(answer_key: nbformat.NotebookNode, chapter: int) -> nbformat.NotebookNode:
    """The learner's copy of ``answer_key`` (chapter ``chapter``); ValueError if malformed."""
    nb = copy.deepcopy(answer_key)
    for exercise in exercise_cells(nb):
        cell = nb.cells[exercise.index]
        cell.source = _stub_solution(
            cell.source, exercise.exercise_id, exercise.begin, exercise.end
        )
    cells = []
    for index, cell in enumerate(nb.cells):
        if is_answer_cell(cell):
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.pop("attachments", None)
            cell.metadata.pop("execution", None)
        else:
            if GATED_SOLUTION.search(cell.source):
                raise ValueError(
                    f"cell {index}: {{solution-start}}/{{solution-end}} are not supported; "
                    "put the answer in one {solution} block or an exercise cell"
                )
            cell.source = remove_solution_blocks(cell.source)
            if not cell.source.strip() and not cell.get("attachments"):
                continue  # the cell was only a solution
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    nb.metadata["qkv"] = {"chapter": chapter, "student_copy": True}
    return nb


def _select(found: dict[int, Path], chapters: Sequence[int] | None, source: Path) -> list[int]:
    if not found:
        raise UsageError(f"{source}: no chapter notebooks (named like 01_topic.ipynb) in it")
    if chapters is None:
        return sorted(found)
    unknown = sorted(set(chapters) - set(found))
    if unknown:
        have = ", ".join(map(str, sorted(found)))
        raise UsageError(f"no chapter {unknown[0]} in {source} (it has chapters {have})")
    return sorted(set(chapters))


def _read(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError) as error:  # NotJSONError is a ValueError
        raise UsageError(f"{path}: not a readable notebook ({error})") from None


def write_student_copies(out_dir: Path, chapters: Sequence[int] | None, source: Path) -> list[Path]:
    """Write a learner's copy of each chapter (all when ``chapters`` is None) into ``out_dir``.

    The copies keep their chapters' file names. Returns their paths; raises
    :class:`~qkv_lib.instructor.errors.UsageError` (LeakError for a leak) before writing any.
    """
    out_dir, source = Path(out_dir), Path(source)
    found = find_chapters(source)
    selected = _select(found, chapters, source)
    if out_dir.resolve() == source.resolve():
        raise UsageError(f"{out_dir} holds the answer key: write the copies somewhere else")
    copies = []
    for number in selected:
        path = found[number]
        answer_key = _read(path)
        try:
            nb = student_copy(answer_key, number)
        except ValueError as error:
            raise UsageError(f"{path}: {error}") from None
        check_no_leaks(nb, secret_lines(answer_key), path.name)
        copies.append((out_dir / path.name, nb))
    written = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for target, nb in copies:
            partial = target.with_name(f".{target.name}.partial")
            nbformat.write(nb, partial)
            os.replace(partial, target)
            written.append(target)
    except OSError as error:
        raise UsageError(f"cannot write the copies into {out_dir}: {error}") from None
    return written
