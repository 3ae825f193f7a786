"""Where the answers are in an answer-key chapter: what a copy removes and the leak guard hunts.

Three kinds of answer (the conventions are in :mod:`~qkv_lib.instructor.student`):

* a solution region in a code cell, from the ``# BEGIN SOLUTION`` line to the
  ``# END SOLUTION`` line;
* a ``{solution}`` block in the prose: a MyST directive fenced by 3 or more backticks,
  tildes or (``colon_fence``) colons, e.g. ```` ```{solution} label ```` ... ```` ``` ````.
  A fence ends at the first line of the same character, at least as long, with nothing
  else on it; a directive's content is itself MyST, so a ``{solution}`` nested in a longer
  ``{exercise}`` fence counts, while one shown inside a literal ```` ```markdown ```` code
  block is only an example and stays;
* a cell tagged ``qkv-answer``, which only the answer key has.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import nbformat

from .chapters import BEGIN, END

__all__ = [
    "ANSWER_TAG",
    "GATED_SOLUTION",
    "is_answer_cell",
    "remove_solution_blocks",
    "solution_blocks",
    "solution_regions",
]

ANSWER_TAG = "qkv-answer"
#: sphinx-exercise's gated form spans several cells; the copier refuses it rather than guess.
GATED_SOLUTION = re.compile(r"\{solution-(?:start|end)\}")
# A fence may sit in a list item or a quote: any indentation and ">" markers before it.
_FENCE = re.compile(r"^[ \t>]*(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")


def is_answer_cell(cell: nbformat.NotebookNode) -> bool:
    """Whether ``cell`` is tagged ``qkv-answer`` (answer key only, dropped from copies)."""
    return ANSWER_TAG in cell.get("metadata", {}).get("tags", [])


def solution_regions(source: str) -> Iterator[tuple[int, int]]:
    """(BEGIN line, END line) of every solution region in a code cell's ``source`` (0-based).

    A BEGIN without its END runs to the end: its END is one past the last line.
    """
    lines = [line.strip() for line in source.splitlines()]
    begin = None
    for number, line in enumerate(lines):
        if line == BEGIN and begin is None:
            begin = number
        elif line == END and begin is not None:
            yield begin, number
            begin = None
    if begin is not None:
        yield begin, len(lines)


def _opening(line: str) -> re.Match | None:
    match = _FENCE.match(line)
    if match and match["fence"][0] == "`" and "`" in match["info"]:
        return None  # ```code``` on one line is inline code, not a fence
    return match


def _closes(line: str, fence: str) -> bool:
    match = _FENCE.match(line)
    return bool(
        match
        and match["fence"][0] == fence[0]
        and len(match["fence"]) >= len(fence)
        and not match["info"].strip()
    )


def solution_blocks(text: str) -> list[tuple[int, int]]:
    """(first, last) line of every ``{solution}`` block in MyST ``text``, fences included."""
    blocks: list[tuple[int, int]] = []
    lines = text.splitlines()

    def scan(first: int, stop: int) -> None:
        number = first
        while number < stop:
            opening = _opening(lines[number])
            if opening is None:
                number += 1
                continue
            close = next(
                (n for n in range(number + 1, stop) if _closes(lines[n], opening["fence"])), stop
            )
            name = (opening["info"].split() or [""])[0]
            if name == "{solution}":
                blocks.append((number, min(close, stop - 1)))  # unclosed: to the end
            elif name.startswith("{"):  # another directive: its content is MyST again
                scan(number + 1, close)
            number = close + 1

    scan(0, len(lines))
    return blocks


def remove_solution_blocks(text: str) -> str:
    """``text`` without its ``{solution}`` blocks; the text around them stays as it was."""
    blocks = solution_blocks(text)
    if not blocks:
        return text
    lines = text.splitlines()
    kept: list[str] = []
    number = 0
    for first, last in blocks:
        kept += lines[number:first]
        number = last + 1
        # one blank line, not two, where the block was
        if kept and not kept[-1].strip():
            while number < len(lines) and not lines[number].strip():
                number += 1
    kept += lines[number:]
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)
