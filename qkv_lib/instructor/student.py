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
* ``metadata.qkv = {"chapter": N, "student_copy": true}``: the grader reads the chapter there;
* the Colab install cell (tagged ``qkv-colab``) stamped with where to install the course
  package from: its line ``COURSE_PACKAGE = ""`` becomes
  ``COURSE_PACKAGE = "git+<repository.url>@<repository.branch>"``, read from the book's
  ``_config.yml`` beside the source chapters (the copies are published on that branch, and the
  launch buttons open them there), or ``@<ref>`` with ``--ref`` (CI passes the commit the book
  is built from, so that each copy installs the package of its page). Without a
  ``_config.yml`` the cell is left unstamped and does nothing, as in the answer key.

Exercise cells keep their ids, their tags (``qkv-exercise``) and ``metadata.qkv.exercise``;
every cell keeps its id. The leak guard (:mod:`~qkv_lib.instructor.leaks`) searches every copy
before any is written: one leaking copy and nothing is written at all.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Sequence
from pathlib import Path

import nbformat

from .chapters import exercise_cells, find_chapters
from .errors import UsageError
from .leaks import check_no_leaks, secret_lines
from .solutions import GATED_SOLUTION, is_answer_cell, remove_solution_blocks

__all__ = [
    "COLAB_TAG",
    "STUB",
    "UNSTAMPED",
    "course_package",
    "stamp_colab_cell",
    "student_copy",
    "write_student_copies",
]

STUB = (
    'raise NotImplementedError("Exercise {id}: replace this line with your code; '
    'the hints are in the text above")'
)

#: The tag of the chapter's Colab install cell, and the placeholder line it carries unstamped.
COLAB_TAG = "qkv-colab"
UNSTAMPED = 'COURSE_PACKAGE = ""'
CONFIG = "_config.yml"  # the book's configuration, beside the chapters/ folder
# Stamped into Python source and expanded into a shell command by %pip: no quotes, no spaces.
_URL = re.compile(r"https://[\w.-]+(?::\d+)?(?:/[\w.~-]+)+/?")
_BRANCH = re.compile(r"\w[\w./-]*")


def course_package(source: Path, ref: str | None = None) -> str | None:
    """``git+<repository.url>@<ref>`` from the ``_config.yml`` beside ``source``.

    ``ref`` defaults to its ``repository.branch``. None when there is no such file (the copies
    are then left unstamped); UsageError when it cannot be read, lacks either setting, or
    ``ref`` is not a plain git reference.
    """
    if ref is not None and not _BRANCH.fullmatch(ref):
        raise UsageError(f"--ref must be a branch, tag or commit name, got {ref!r}")
    path = Path(source).resolve().parent / CONFIG
    if not path.is_file():
        return None
    try:
        import yaml  # PyYAML: installed with the book's requirements (jupyter-book)
    except ImportError:
        raise UsageError(f"reading {path} needs PyYAML: pip install pyyaml") from None
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise UsageError(f"{path}: not a readable book configuration ({error})") from None
    repository = config.get("repository") if isinstance(config, dict) else None
    repository = repository if isinstance(repository, dict) else {}
    url, branch = repository.get("url"), repository.get("branch")
    if not (isinstance(url, str) and _URL.fullmatch(url)):
        raise UsageError(f"{path}: repository.url must be an https:// address, got {url!r}")
    if not (isinstance(branch, str) and _BRANCH.fullmatch(branch)):
        raise UsageError(f"{path}: repository.branch must be a branch name, got {branch!r}")
    return f"git+{url.rstrip('/')}@{ref or branch}"


def stamp_colab_cell(nb: nbformat.NotebookNode, package: str) -> None:
    """Write ``package`` into ``nb``'s Colab install cell; ValueError if it has none."""
    cells = [c for c in nb.cells if COLAB_TAG in c.metadata.get("tags", [])]
    one_code_cell = len(cells) == 1 and cells[0].cell_type == "code"
    lines = cells[0].source.split("\n") if one_code_cell else []
    found = [i for i, line in enumerate(lines) if line.startswith(UNSTAMPED)]
    if len(found) != 1:
        raise ValueError(
            f"no Colab install cell to stamp: one code cell tagged {COLAB_TAG!r} with one line "
            f"starting {UNSTAMPED!r} is needed (found {len(cells)} such cells)"
        )
    line = lines[found[0]]
    lines[found[0]] = f'COURSE_PACKAGE = "{package}"' + line[len(UNSTAMPED) :]
    cells[0].source = "\n".join(lines)


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


def write_student_copies(
    out_dir: Path, chapters: Sequence[int] | None, source: Path, ref: str | None = None
) -> list[Path]:
    """Write a learner's copy of each chapter (all when ``chapters`` is None) into ``out_dir``.

    The copies keep their chapters' file names; their Colab install cells are stamped from the
    ``_config.yml`` beside ``source`` and ``ref`` (:func:`course_package`). Returns their paths;
    raises :class:`~qkv_lib.instructor.errors.UsageError` (LeakError for a leak) before writing
    any.
    """
    out_dir, source = Path(out_dir), Path(source)
    found = find_chapters(source)
    selected = _select(found, chapters, source)
    package = course_package(source, ref)
    if out_dir.resolve() == source.resolve():
        raise UsageError(f"{out_dir} holds the answer key: write the copies somewhere else")
    copies = []
    for number in selected:
        path = found[number]
        answer_key = _read(path)
        try:
            nb = student_copy(answer_key, number)
            if package is not None:
                stamp_colab_cell(nb, package)
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
