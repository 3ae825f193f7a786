"""Deterministic rendering: a figure to SVG text or PNG bytes, the same bytes on every build.

Used by the explorers (widgets) to send frames, and by the benchmarks to measure their size.
"""

from __future__ import annotations

import gzip
import io

import matplotlib as mpl
from matplotlib.figure import Figure

from .style import COURSE_STYLE

_SVG_METADATA = {"Date": None, "Creator": None}
_PNG_METADATA = {"Software": None}


def _check_figure(fig: object) -> None:
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")


def figure_to_svg(fig: Figure) -> str:
    """Render ``fig`` as SVG text, reproducibly: no date, no creator, fixed ids (svg.hashsalt)."""
    _check_figure(fig)
    buffer = io.StringIO()
    with mpl.rc_context(
        {"svg.hashsalt": COURSE_STYLE["svg.hashsalt"], "svg.fonttype": COURSE_STYLE["svg.fonttype"]}
    ):
        fig.savefig(buffer, format="svg", metadata=_SVG_METADATA)
    return buffer.getvalue()


def figure_to_png(fig: Figure, *, dpi: float | None = None) -> bytes:
    """Render ``fig`` as PNG bytes without the "Software" metadata, so output is reproducible."""
    _check_figure(fig)
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="png", dpi=dpi or COURSE_STYLE["savefig.dpi"], metadata=_PNG_METADATA
    )
    return buffer.getvalue()


def gzipped_size(data: str | bytes) -> int:
    """Size in bytes of ``data`` after gzip (what a web server would send)."""
    raw = data.encode() if isinstance(data, str) else data
    return len(gzip.compress(raw, mtime=0))
