"""An explorer's frames: its figure for given control values, rendered once to SVG or PNG.

``draw_figure`` calls an explorer's ``draw`` in the course style and checks what comes
back; ``FrameCache`` renders each frame once (the live widget redraws on every slider move,
the twin needs every frame), updating one figure when the explorer can; ``compact_svg``
shrinks a frame before a page embeds many of them. Frames are drawn on one torch thread
(:mod:`qkv_lib._threads`). First used in chapter 1, Q, K and V as retrieval.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Callable, Iterator
from typing import Any

from matplotlib.figure import Figure

from .._threads import one_thread
from ..plotting import course_style, figure_to_png, figure_to_svg

__all__ = ["FORMATS", "FrameCache", "compact_svg", "draw_figure"]

#: The formats a frame can be rendered to.
FORMATS = ("svg", "png")


def draw_figure(
    draw: Callable[..., Figure], values: dict[str, Any], *, name: str = "draw"
) -> Figure:
    """``draw(**values)`` in the course style; it must build a ``Figure()`` without pyplot.

    ``name`` is what an error message calls the function (an explorer's "draw" or "build").
    """
    with course_style():
        fig = draw(**values)
    if not isinstance(fig, Figure):
        raise TypeError(
            f"{name} must return a matplotlib Figure; got {type(fig).__name__} for {values}"
        )
    if fig.canvas.manager is not None:  # made by pyplot: it would leak into cell outputs
        import matplotlib.pyplot as plt

        plt.close(fig)
        raise ValueError(
            f"{name} made its figure with pyplot (plt.figure / plt.subplots); build it with "
            "matplotlib.figure.Figure() so nothing leaks into the notebook's outputs"
        )
    return fig


@contextlib.contextmanager
def _young_garbage_only() -> Iterator[None]:
    """Render a frame without letting its garbage reach Python's oldest GC generation.

    A frame allocates many short-lived objects in reference cycles (figure <-> axes <->
    artists). Collected mid-render they survive, age, and every ~12 frames trigger a full
    collection of the whole heap (torch included): a ~200 ms stall. Pausing the collector
    while rendering and sweeping the youngest generation afterwards (where all of the frame's
    objects still are) costs a few ms per frame and keeps the stall away.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


class FrameCache:
    """The frames of one explorer, each rendered once: bytes keyed by format and values.

    ``get("svg", values)`` is a compact SVG document, ``get("png", values)`` a PNG image at
    screen resolution. Without ``build``/``update`` every frame is a new figure from
    ``draw``; with them, one figure is built (on first use) and updated to each frame's
    values, which skips building axes, ticks and fixed artists again. One cache serves the
    live widget, the PNG fallback and the twin, so no frame is rendered twice.
    ``rendered()`` lists what has been rendered so far, as ``(format, values)`` pairs.
    """

    def __init__(
        self,
        draw: Callable[..., Figure],
        build: Callable[[], Figure] | None = None,
        update: Callable[..., object] | None = None,
    ) -> None:
        self._draw = draw
        self._build, self._update = build, update
        self._figure: Figure | None = None  # the figure that update() redraws
        self._shown: dict[str, Any] | None = None  # the values it shows
        self._frames: dict[tuple, bytes] = {}

    def get(self, fmt: str, values: dict[str, Any]) -> bytes:
        if fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {FORMATS}; got {fmt!r}")
        key = (fmt, *values.items())
        if key not in self._frames:
            with _young_garbage_only(), one_thread(), course_style():
                fig = self._figure_for(values)
                if fmt == "svg":
                    data = compact_svg(figure_to_svg(fig)).encode()
                else:
                    data = figure_to_png(fig)
                del fig
            self._frames[key] = data
        return self._frames[key]

    def _figure_for(self, values: dict[str, Any]) -> Figure:
        """The figure showing ``values``: a new one from draw, or the built one updated.

        Called in the course style (``get`` applies it once for drawing and rendering).
        """
        if self._build is None or self._update is None:
            return draw_figure(self._draw, values)
        if self._figure is None:
            self._figure = draw_figure(self._build, {}, name="build")
        if self._shown != values:
            self._shown = None  # until update returns: a failed update leaves no stale state
            self._update(self._figure, **values)
            self._shown = dict(values)
        return self._figure

    def rendered(self) -> list[tuple[str, dict[str, Any]]]:
        return [(fmt, dict(items)) for fmt, *items in self._frames]


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
