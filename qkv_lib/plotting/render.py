"""Deterministic rendering: a figure to SVG text or PNG bytes, the same bytes on every build.

Used by the explorers (widgets) to send frames, and by the benchmarks to measure their size.
An explorer draws one figure again and again (a frame per slider position), so rendering
is made cheap to repeat: a figure keeps its Agg canvas (and the renderer's cached text
metrics) between PNG renders, and the PNG encoder is a plain zlib stream.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib

import matplotlib as mpl
import numpy as np
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .style import COURSE_STYLE

_SVG_METADATA = {"Date": None, "Creator": None}
_PNG_METADATA = {"Software": None}
# Matplotlib restores a figure's layout engine after saving it; a figure that had none gets
# the rcParams' default back, so with the course style (constrained layout on) a second save
# of the same figure would lay it out anew. With these off, "none" stays none.
_NO_DEFAULT_LAYOUT = {"figure.constrained_layout.use": False, "figure.autolayout": False}


def _check_figure(fig: object) -> None:
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")


def figure_to_svg(fig: Figure) -> str:
    """Render ``fig`` as SVG text, reproducibly: no date, no creator, fixed ids (svg.hashsalt)."""
    _check_figure(fig)
    buffer = io.StringIO()
    with mpl.rc_context(
        {
            "svg.hashsalt": COURSE_STYLE["svg.hashsalt"],
            "svg.fonttype": COURSE_STYLE["svg.fonttype"],
            **_NO_DEFAULT_LAYOUT,
        }
    ):
        fig.savefig(buffer, format="svg", metadata=_SVG_METADATA)
    return buffer.getvalue()


def figure_to_png(fig: Figure, *, dpi: float | None = None) -> bytes:
    """Render ``fig`` as PNG bytes without metadata (no "Software" tag), so output is reproducible.

    ``dpi`` defaults to the course's 100, the size a screen shows. A figure made with
    ``Figure()`` (no pyplot window) is drawn on an Agg canvas that it keeps, so drawing it
    again reuses the renderer, and its pixels are encoded by :func:`png_bytes`; a pyplot
    figure is saved with ``savefig`` and left as it was.
    """
    _check_figure(fig)
    dpi = dpi or COURSE_STYLE["savefig.dpi"]
    canvas = fig.canvas
    if canvas.manager is None and type(canvas) is FigureCanvasBase:
        canvas = FigureCanvasAgg(fig)  # a bare Figure() has a canvas that cannot draw
    if canvas.manager is not None or not isinstance(canvas, FigureCanvasAgg):
        buffer = io.BytesIO()
        with mpl.rc_context(_NO_DEFAULT_LAYOUT):
            fig.savefig(buffer, format="png", dpi=dpi, metadata=_PNG_METADATA)
        return buffer.getvalue()
    original = fig.dpi
    try:
        if dpi != original:
            fig.dpi = dpi
        canvas.draw()
        return png_bytes(np.asarray(canvas.buffer_rgba()))
    finally:
        if fig.dpi != original:
            fig.dpi = original


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(pixels: np.ndarray, *, level: int = 6) -> bytes:
    """Encode an (height, width, 4) uint8 RGBA array as a PNG (RGB when it is all opaque).

    Every row is stored unfiltered and the image deflated at zlib ``level``: for figures,
    large areas of one colour, that is as small as Pillow's adaptive filters and ~3x faster.
    """
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8:
        raise ValueError(
            f"pixels must be a (height, width, 4) uint8 RGBA array; got shape "
            f"{tuple(pixels.shape)} and dtype {pixels.dtype}"
        )
    height, width, _ = pixels.shape
    opaque = bool((pixels[:, :, 3] == 255).all())
    channels = 3 if opaque else 4
    rows = np.zeros((height, 1 + width * channels), dtype=np.uint8)  # filter byte 0: none
    rows[:, 1:] = pixels[:, :, :channels].reshape(height, width * channels)
    colour_type = 2 if opaque else 6  # RGB or RGBA, 8 bits per channel
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)),
            _chunk(b"IEND", b""),
        )
    )


def gzipped_size(data: str | bytes) -> int:
    """Size in bytes of ``data`` after gzip (what a web server would send)."""
    raw = data.encode() if isinstance(data, str) else data
    return len(gzip.compress(raw, mtime=0))
