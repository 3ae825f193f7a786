"""Figures for the course: one style, and a plot helper for each kind of figure.

Every helper takes ``ax=None`` (a new pyplot figure is made when it is None), labels its
axes and returns the Axes; none calls ``plt.show()``. The families, and where they are used:

* :mod:`.style`     the Okabe–Ito palette, the colour maps and ``COURSE_STYLE`` (every chapter)
* :mod:`.heatmaps`  attention weights (T, S), from chapter 1 on; panels side by side
  (chapter 2); raw scores before the softmax (chapters 4 and 7); one map per head (chapter 5);
  new values shown in a heatmap already drawn (``update_heatmap``, for the explorers)
* :mod:`.vectors`   2-D vectors as arrows, keys and a query (chapter 1), projections (ch. 3)
* :mod:`.curves`    one query's weights as bars (chapters 1 and 7), named curves (chapter 4),
  a training run's loss and accuracy (chapter 7)
* :mod:`.scaling`   costs against a size on log-log axes, with a T² reference line (ch. 8)
* :mod:`.render`    figures to reproducible SVG/PNG bytes, for the explorers (widgets); a
  figure drawn again and again (an explorer's frames) renders fast

Shapes: T query length, S key/value length, H heads, N number of vectors.
"""

from __future__ import annotations

from ._matrix import WEIGHT_LABEL
from .curves import bar_weights, line_plot, training_curves
from .heatmaps import (
    attention_heatmap,
    head_heatmaps,
    score_heatmap,
    side_by_side_heatmaps,
    update_heatmap,
)
from .render import figure_to_png, figure_to_svg, gzipped_size
from .scaling import scaling_plot
from .style import COURSE_STYLE, CYCLE, HEATMAP_CMAP, OKABE_ITO, SCORE_CMAP, course_style
from .vectors import vectors_2d

__all__ = [
    "COURSE_STYLE",
    "CYCLE",
    "HEATMAP_CMAP",
    "OKABE_ITO",
    "SCORE_CMAP",
    "WEIGHT_LABEL",
    "attention_heatmap",
    "bar_weights",
    "course_style",
    "figure_to_png",
    "figure_to_svg",
    "gzipped_size",
    "head_heatmaps",
    "line_plot",
    "scaling_plot",
    "score_heatmap",
    "side_by_side_heatmaps",
    "training_curves",
    "update_heatmap",
    "vectors_2d",
]
