"""Kernel-free HTML twin of an explorer: precomputed frames, native controls, a few lines of JS.

Used by ``qkv_lib.widgets.Explorer`` when a notebook runs headless (the book build, nbval), so
the built book's explorers work without a kernel and without any CDN. The ``<img>`` already
shows the default frame, so the page is readable without JavaScript; the inline script only
swaps frames when a control moves. Taught alongside chapter 1, Q, K and V as retrieval.
"""

from __future__ import annotations

import html
from base64 import b64encode
from collections.abc import Sequence
from dataclasses import dataclass

from .._frontend import json_for_script

__all__ = ["TwinControl", "twin_html"]


@dataclass(frozen=True)
class TwinControl:
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


def _control_html(uid: str, control: TwinControl) -> str:
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


def twin_html(
    *,
    uid: str,
    controls: Sequence[TwinControl],
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
        f'<script type="application/json" id="{uid}-data">{json_for_script(data)}</script>'
    )
    parts.append(f"<script>\n{_SCRIPT % {'uid': uid}}\n</script>")
    parts.append("</div>")
    return "\n".join(parts)
