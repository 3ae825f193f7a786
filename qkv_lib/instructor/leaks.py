"""The leak guard: no line of a solution may survive anywhere in a student copy.

The secrets are the lines of the answer key's solutions: the stripped lines strictly between
``# BEGIN SOLUTION`` and ``# END SOLUTION``, and the lines inside ``{solution}`` blocks. A
code line with an inline comment (``x = y  # (B, T)``) is also looked for without it. Not
secrets, because a copy may show them:

* lines without a letter or digit (``)``, ``],``, a closing ```` ``` ```` fence): markup;
* the directive's options at the top of a ``{solution}`` block (``:class: dropdown``, or a
  ``---`` ... ``---`` YAML block): they configure the fold, they are not the answer;
* lines that the answer key shows OUTSIDE every solution (anywhere in the source of a cell
  the copy keeps, as a substring): a line of teaching code earlier in the chapter is no
  secret just because the solution repeats it.

Then every string of the copy is searched, with whitespace runs squashed on both sides:
each cell's source, outputs (text, every mime type's data, tracebacks), metadata and
attachments, and the notebook's metadata; HTML entities are unescaped and base64 payloads
decoded first. The guard also fails on a code line that is still a solution marker.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Iterator
from typing import Any

import nbformat

from .chapters import BEGIN, END
from .errors import UsageError
from .solutions import is_answer_cell, solution_blocks, solution_regions

__all__ = ["LeakError", "check_no_leaks", "secret_lines"]

_OPTION = re.compile(r"^:[\w-]+:")
_INLINE_COMMENT = re.compile(r"^(?P<code>.*?\S)\s{2,}#.*$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]{16,}$")


class LeakError(UsageError):
    """A student copy would show a line of a solution; nothing is written for it."""


def _squash(text: str) -> str:
    return " ".join(text.split())


def _block_body(lines: list[str]) -> list[str]:
    """A ``{solution}`` block's lines after its opening fence, without its leading options.

    The closing fence has no letter in it, so it never counts as a secret.
    """
    body = lines[1:]
    if body and body[0].strip() == "---":  # options as a YAML block
        end = next((i for i in range(1, len(body)) if body[i].strip() == "---"), 0)
        body = body[end + 1 :]
    while body and _OPTION.match(body[0].strip()):
        body = body[1:]
    return body


def _secret_and_visible(nb: nbformat.NotebookNode) -> tuple[list[str], list[str]]:
    secrets: list[str] = []
    visible: list[str] = []
    for cell in nb.cells:
        lines = cell.source.splitlines()
        hidden: set[int] = set()
        if cell.cell_type == "code":
            for begin, end in solution_regions(cell.source):
                hidden.update(range(begin, end + 1))
                secrets += lines[begin + 1 : end]
        else:
            for first, last in solution_blocks(cell.source):
                hidden.update(range(first, last + 1))
                secrets += _block_body(lines[first : last + 1])
        if not is_answer_cell(cell):
            visible += [line for n, line in enumerate(lines) if n not in hidden]
    return secrets, visible


def secret_lines(answer_key: nbformat.NotebookNode) -> list[str]:
    """The lines of ``answer_key``'s solutions a copy must not show (squashed, no duplicates)."""
    lines, visible_lines = _secret_and_visible(answer_key)
    visible = _squash("\n".join(visible_lines))
    secrets: dict[str, None] = {}
    for line in lines:
        candidates = [line]
        comment = _INLINE_COMMENT.match(line.strip())
        if comment:
            candidates.append(comment["code"])
        for candidate in map(_squash, candidates):
            if any(c.isalnum() for c in candidate) and candidate not in visible:
                secrets[candidate] = None
    return list(secrets)


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON-like value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _readings(text: str) -> Iterator[str]:
    """``text`` as stored, with HTML entities unescaped, and decoded if it is base64 text."""
    yield text
    yield html.unescape(text)
    if _BASE64.match(text):
        try:
            yield base64.b64decode("".join(text.split()), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            pass


def _cell(index: int, cell: nbformat.NotebookNode) -> str:
    return f"cell {index}" + (f" (id {cell['id']})" if "id" in cell else "")


def _places(copy: nbformat.NotebookNode) -> Iterator[tuple[str, Any]]:
    for index, cell in enumerate(copy.cells):
        yield f"{_cell(index, cell)}, source", cell.get("source", "")
        yield f"{_cell(index, cell)}, output", cell.get("outputs", [])
        yield f"{_cell(index, cell)}, metadata", cell.get("metadata", {})
        yield f"{_cell(index, cell)}, attachment", cell.get("attachments", {})
    yield "notebook metadata", copy.get("metadata", {})


def check_no_leaks(copy: nbformat.NotebookNode, secrets: list[str], name: str) -> None:
    """Raise :class:`LeakError` naming ``name`` and the place if ``copy`` shows a secret."""
    for index, cell in enumerate(copy.cells):
        if cell.cell_type == "code":
            markers = {line.strip() for line in cell.source.splitlines()} & {BEGIN, END}
            if markers:
                raise LeakError(
                    f"{name}: {_cell(index, cell)}, source: {min(markers)!r} is still there "
                    "(only cells tagged qkv-exercise have their solution replaced)"
                )
    for place, value in _places(copy):
        for text in _strings(value):
            for reading in map(_squash, _readings(text)):
                found = next((s for s in secrets if s in reading), None)
                if found is not None:
                    shown = found if len(found) <= 60 else found[:57] + "..."
                    raise LeakError(f"{name}: {place} shows a line of a solution: {shown!r}")
