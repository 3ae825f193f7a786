"""Kernel-free HTML twin of an explorer: precomputed frames, native controls, a few lines of JS.

Used by ``qkv_lib.widgets.Explorer`` when a notebook runs headless (the book build, nbval), so
the built book's explorers work without a kernel and without any CDN. The ``<img>`` already
shows the default frame, so the page is readable without JavaScript; the inline script only
swaps frames when a control moves. Taught alongside chapter 1, Q, K and V as retrieval.
"""

from __future__ import annotations

import html
import json
import re
from base64 import b64encode
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["StaticControl", "build_static_html", "compact_svg"]


@dataclass(frozen=True)
class StaticControl:
    """One control of the twin: a range slider or a select over ``texts`` (index-valued)."""

    name: str
    label: str
    kind: str  # "range" or "select"
    texts: tuple[str, ...]
    default: int


# The frame index is a mixed-radix number: index = sum(position[k] * strides[k]).
_SCRIPT = """(function () {
  var root = document.getElementById("%(uid)s");
  var data = JSON.parse(document.getElementById("%(uid)s-data").textContent);
  var img = document.getElementById("%(uid)s-img");
  var inputs = data.controls.map(function (c) { return document.getElementById(c.id); });
  function show() {
    var index = 0;
    inputs.forEach(function (el, k) {
      var c = data.controls[k], i = Number(el.value), text = c.texts[i];
      index += i * data.strides[k];
      var out = document.getElementById(c.id + "-out");
      if (out) { out.textContent = text; el.setAttribute("aria-valuetext", text); }
    });
    var f = data.frames[index];
    img.src = "data:" + data.mime + (data.base64 ? ";base64," + f : "," + encodeURIComponent(f));
    img.alt = data.alts[index];
    root.setAttribute("data-frame", index);
  }
  inputs.forEach(function (el) { el.addEventListener("input", show); });
  show();
})();"""

_STYLE = (
    "display:flex;flex-wrap:wrap;gap:0.4em 1.2em;align-items:center;margin:0.3em 0;"
    "font-family:sans-serif;font-size:0.9em"
)


_GEOMETRY_ATTR = re.compile(r'(\s(?:d|x|y|x1|x2|y1|y2|width|height|transform|points)=")([^"]*)"')
_FONT_FAMILY = re.compile(r"font-family: ?([^;\"]*);? ?")


def _shorten_geometry(match: re.Match[str]) -> str:
    value = re.sub(r"(\.\d\d)\d+", r"\1", match.group(2))  # 0.01 pt is plenty on screen
    return f'{match.group(1)}{" ".join(value.split())}"'


def compact_svg(svg: str) -> str:
    """Shrink a matplotlib SVG (2-3x) without changing the picture, for embedding many frames.

    Drops the XML prolog, comments, metadata, group ids and whitespace between tags; keeps
    two decimals in coordinates; removes no-op rotations; moves the font family shared by
    all text into one CSS rule. Only for standalone frames (shown via ``<img>``).
    """
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r">\s+<", "><", svg).strip()
    svg = re.sub(r'<g id="[^"]*">', "<g>", svg)
    svg = re.sub(r' transform="rotate\(-?0 [^")]*\)"', "", svg)
    svg = _GEOMETRY_ATTR.sub(_shorten_geometry, svg)
    families = _FONT_FAMILY.findall(svg)
    if families:
        family = max(set(families), key=families.count)
        svg = svg.replace(f"font-family: {family}; ", "").replace(f"; font-family: {family}", "")
        rule = f"text{{font-family:{family}}}"
        svg = svg.replace("</style>", rule + "</style>", 1) if "</style>" in svg else svg
    return svg


def _json_for_script(data: object) -> str:
    """JSON that is safe inside a <script> element (no "</" or "<!--" sequences)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def _control_html(uid: str, control: StaticControl) -> str:
    cid = f"{uid}-{control.name}"
    label = f'<label for="{cid}">{html.escape(control.label)}</label>'
    if control.kind == "range":
        text = html.escape(control.texts[control.default])
        field = (
            f'<input type="range" id="{cid}" name="{html.escape(control.name)}" min="0" '
            f'max="{len(control.texts) - 1}" step="1" value="{control.default}" '
            f'aria-valuetext="{text}">'
            f'<output id="{cid}-out" for="{cid}">{text}</output>'
        )
    elif control.kind == "select":
        options = "".join(
            f'<option value="{i}"{" selected" if i == control.default else ""}>'
            f"{html.escape(text)}</option>"
            for i, text in enumerate(control.texts)
        )
        field = f'<select id="{cid}" name="{html.escape(control.name)}">{options}</select>'
    else:
        raise ValueError(f'control.kind must be "range" or "select"; got {control.kind!r}')
    return f'<span class="qkv-explorer-control">{label} {field}</span>'


def build_static_html(
    *,
    uid: str,
    controls: Sequence[StaticControl],
    frames: Sequence[str],
    alts: Sequence[str],
    mime: str,
    base64: bool,
    title: str | None = None,
    caption: str | None = None,
) -> str:
    """Assemble the twin's HTML.

    ``frames`` are in grid order (the last control varies fastest), one per combination of
    control positions: raw SVG text (``base64=False``) or base64-encoded PNG (``base64=True``).
    ``uid`` must be unique on the page; every element id starts with it.
    """
    sizes = [len(c.texts) for c in controls]
    n_frames = 1
    for size in sizes:
        n_frames *= size
    if len(frames) != n_frames or len(alts) != n_frames:
        raise ValueError(
            f"frames and alts need one entry per grid point ({n_frames} = "
            f"{' x '.join(map(str, sizes))}); got {len(frames)} frames and {len(alts)} alts"
        )
    strides = []
    stride = 1
    for size in reversed(sizes):
        strides.append(stride)
        stride *= size
    strides.reverse()
    default = sum(c.default * s for c, s in zip(controls, strides, strict=True))

    first = frames[default] if base64 else b64encode(frames[default].encode()).decode("ascii")
    src = f"data:{mime};base64,{first}"
    data = {
        "mime": mime,
        "base64": base64,
        "strides": strides,
        "controls": [{"id": f"{uid}-{c.name}", "texts": list(c.texts)} for c in controls],
        "alts": list(alts),
        "frames": list(frames),
    }
    parts = [f'<div class="qkv-explorer" id="{uid}" data-frame="{default}">']
    if title:
        parts.append(f'<p class="qkv-explorer-title"><strong>{html.escape(title)}</strong></p>')
    parts.append(f'<form class="qkv-explorer-controls" autocomplete="off" style="{_STYLE}">')
    parts.extend(_control_html(uid, c) for c in controls)
    parts.append("</form>")
    parts.append(
        f'<img id="{uid}-img" src="{html.escape(src)}" alt="{html.escape(alts[default])}" '
        'style="max-width:100%;height:auto">'
    )
    if caption:
        parts.append(f'<p class="qkv-explorer-caption">{html.escape(caption)}</p>')
    parts.append(
        f'<script type="application/json" id="{uid}-data">{_json_for_script(data)}</script>'
    )
    parts.append(f"<script>\n{_SCRIPT % {'uid': uid}}\n</script>")
    parts.append("</div>")
    return "\n".join(parts)
