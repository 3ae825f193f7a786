"""The chapters use only the public API of qkv_lib, and explorers only through their builders.

Every ``qkv.a.b`` the chapters' code cells write must be public at each step: a name listed in
the ``__all__`` of the module it is looked up in. Into ``qkv.widgets`` a chapter reaches only
for an explorer builder (``qkv.widgets.*_explorer``); its data comes from ``qkv.examples``.
"""

from __future__ import annotations

import json
import re
import types
from pathlib import Path

import pytest

import qkv_lib

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb"))
# `qkv.` as the library alias, not as an attribute (`layer.in_proj.q_proj`) or part of a name.
REFERENCE = re.compile(r"(?<![\w.])qkv((?:\.[A-Za-z_]\w*)+)")


def references(notebook: Path) -> set[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return {match.group(1)[1:] for match in REFERENCE.finditer(code)}


def problem(path: str) -> str | None:
    """Why ``qkv.<path>`` is not public API, or None if it is."""
    parts = path.split(".")
    if parts[0] == "widgets" and len(parts) > 1 and not parts[1].endswith("_explorer"):
        return "chapters reach into qkv.widgets only for an explorer builder (*_explorer)"
    obj: object = qkv_lib
    for i, part in enumerate(parts):
        if not isinstance(obj, types.ModuleType):
            return None  # an attribute of a public class or function: its own API
        public = getattr(obj, "__all__", None)
        if public is None:
            return f"{obj.__name__} has no __all__, so nothing in it is public"
        if part not in public:
            return f"{'.'.join(parts[: i + 1])!r} is not in {obj.__name__}.__all__"
        obj = getattr(obj, part)
    return None


def test_every_chapter_is_scanned():
    assert len(CHAPTERS) >= 7
    assert all(references(chapter) for chapter in CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_uses_only_public_names(chapter):
    problems = {path: problem(path) for path in sorted(references(chapter))}
    assert {path: why for path, why in problems.items() if why} == {}


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("widgets.sources.source_attention", "explorer builder"),
        ("widgets.draw_heads", "explorer builder"),
        ("examples.heads._example", "not in qkv_lib.examples.__all__"),
        ("plotting.style", "not in qkv_lib.plotting.__all__"),
        ("attention.math", "not in qkv_lib.attention.__all__"),
    ],
)
def test_private_paths_are_refused(path, reason):
    assert reason in (problem(path) or "")


@pytest.mark.parametrize(
    "path",
    ["scaled_dot_product_attention", "MultiHeadAttention.from_torch", "widgets.heads_explorer"],
)
def test_public_paths_are_accepted(path):
    assert problem(path) is None
