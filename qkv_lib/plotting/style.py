"""The course's figure style: the Okabe–Ito palette, the colour maps and the rcParams.

Set once for every chapter by ``setup_notebook`` (chapter 1 on); ``course_style`` applies it
for a ``with`` block, e.g. while an explorer draws a frame.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib as mpl

#: Okabe & Ito (2008) colour-blind-safe categorical palette, black first.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: The colour cycle: the palette without black (used for text) and yellow (too light on white).
CYCLE: tuple[str, ...] = tuple(
    OKABE_ITO[name]
    for name in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue")
)

#: Sequential colour map of every weight heatmap (perceptually uniform, colour-blind safe).
HEATMAP_CMAP = "viridis"

#: Diverging colour map for scores, which can be any real number (ColorBrewer RdBu,
#: colour-blind safe): blue below zero, white at zero, red above. Masked cells are grey.
SCORE_CMAP = "RdBu_r"

#: The course's figure style: an rcParams dict, applied by ``setup_notebook`` and ``course_style``.
COURSE_STYLE: dict[str, object] = {
    "figure.figsize": [6.4, 4.0],
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "axes.prop_cycle": mpl.cycler(color=list(CYCLE)),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.cmap": HEATMAP_CMAP,
    "svg.hashsalt": "qkv-course",  # stable SVG ids, so repeated builds give identical bytes
    "svg.fonttype": "none",  # text stays text: smaller, searchable SVG frames
}


@contextlib.contextmanager
def course_style() -> Iterator[None]:
    """Temporarily apply ``COURSE_STYLE`` (a ``matplotlib.rc_context``)."""
    with mpl.rc_context(COURSE_STYLE):
        yield
