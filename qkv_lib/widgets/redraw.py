"""Changing the artists of a figure already built, for the explorers' ``update`` functions.

An explorer with ``build``/``update`` (see :class:`~qkv_lib.widgets.explorer.Explorer`) makes
its figure once and, per frame, changes only what the controls change: where an arrow
points, how tall a bar is, what a text says. These helpers do that for artists made by the
course's plot helpers, so that the result is the picture the helper would have drawn. First
used in chapter 1 (the query's arrow and the weight bars).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.quiver import Quiver
from matplotlib.text import Annotation

from ..plotting.vectors import tip_label_place

__all__ = ["clear_heatmap", "crisp_cells", "move_arrows", "pin_titles", "set_bar_heights"]


def clear_heatmap(ax: Axes) -> None:
    """Remove a heatmap's image and its cell texts from ``ax``, so that a heatmap helper can
    draw the next matrix on the same Axes (its ticks, labels and position are kept)."""
    for artist in [*ax.images, *ax.texts]:
        artist.remove()


def crisp_cells(*axes: Axes) -> None:
    """Draw the heatmaps on ``axes`` unsampled: an SVG frame then holds the (T, S) image
    itself, shown with crisp cells, instead of a bitmap resampled to the screen (~25% of
    rendering a frame). A PNG is unchanged: cells many pixels wide are drawn the same."""
    for ax in axes:
        for image in ax.images:
            image.set_interpolation("none")


def move_arrows(
    quiver: Quiver, names: Sequence[Annotation], vectors: Sequence[Sequence[float]]
) -> None:
    """Point one ``vectors_2d`` group's arrows at ``vectors`` (N, 2) and move their names."""
    xs, ys = [float(x) for x, _ in vectors], [float(y) for _, y in vectors]
    quiver.set_UVC(xs, ys)
    for name, x, y in zip(names, xs, ys, strict=False):  # a group may have no names
        offset, ha, va = tip_label_place(x, y)
        name.xy = (x, y)
        name.xyann = offset
        name.set_horizontalalignment(ha)
        name.set_verticalalignment(va)


def pin_titles(*axes: Axes) -> None:
    """Pin each Axes' title at the top of the Axes, where matplotlib puts it when nothing
    sits above the Axes: matplotlib then skips placing it at every draw (~3 ms per Axes)."""
    for ax in axes:
        ax.set_title(ax.get_title(), y=1.0)


def set_bar_heights(
    ax: Axes, bars: BarContainer, heights: Sequence[float], labels: Sequence[Annotation] = ()
) -> list[Annotation]:
    """Give ``bars`` new ``heights``; replace their value ``labels`` (if any) with new ones.

    The labels are written as ``bar_weights`` writes them ("%.2f", 2 points above the bar,
    font size 8); the new labels are returned, to be replaced next time.
    """
    values = np.asarray(heights, dtype=np.float64)  # as bar_weights gives them to ax.bar
    if values.shape != (len(bars),):
        raise ValueError(f"heights must have one entry per bar ({len(bars)}); got {values.shape}")
    for bar, height in zip(bars, values, strict=True):
        bar.set_height(height)
    bars.datavalues = values  # what bar_label writes
    if not labels:
        return []
    for label in labels:
        label.remove()
    return ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=8)
