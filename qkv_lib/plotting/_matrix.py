"""One routine that draws a (T, S) matrix as a heatmap, shared by every heatmap (private).

Queries down the y-axis, keys along the x-axis, no frame; the colour map, its range, masked
cells, cell text and colour bar are parameters. First used in chapter 1 (attention weights).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import matplotlib as mpl
import numpy as np
import torch
from matplotlib.axes import Axes

from ._args import as_tensor, check_labels, label_axes, new_axes
from .style import HEATMAP_CMAP

#: The colour bar of every weight heatmap.
WEIGHT_LABEL = "attention weight"


def as_matrix(x: object, name: str) -> torch.Tensor:
    """``x`` as a float64 tensor, or a ValueError unless it is 2-D, (T, S)."""
    m = as_tensor(x, name)
    if m.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (T, S) = (queries, keys); got shape {tuple(m.shape)}"
        )
    return m


def _name_rows_and_columns(
    ax: Axes, query_labels: list[str], key_labels: list[str], *, as_text: bool
) -> None:
    """Name the rows (queries) and columns (keys): as tick labels, or as plain text.

    Plain text takes a tenth of the drawing time of ticks (for grids of many panels).
    """
    if not as_text:
        ax.set_xticks(range(len(key_labels)), key_labels)
        ax.set_yticks(range(len(query_labels)), query_labels)
        label_axes(ax, "key (S)", "query (T)")
        ax.tick_params(length=0)
        return
    ax.set_xticks([])
    ax.set_yticks([])
    below, left = ax.get_xaxis_transform(), ax.get_yaxis_transform()  # data x / data y
    for j, name in enumerate(key_labels):
        ax.text(j, -0.04, name, transform=below, ha="center", va="top")
    for i, name in enumerate(query_labels):
        ax.text(-0.04, i, name, transform=left, ha="right", va="center")
    size = mpl.rcParams["font.size"]
    widest = max((len(name) for name in query_labels), default=1)
    ax.set_xlabel("key (S)", labelpad=size + 6)  # below the key names
    ax.set_ylabel("query (T)", labelpad=0.6 * size * widest + 6)


def matrix_heatmap(
    values: torch.Tensor,
    *,
    ax: Axes | None,
    query_labels: Sequence[str] | None,
    key_labels: Sequence[str] | None,
    title: str | None,
    annotate: bool | str,
    colorbar_label: str | None,
    cmap: str,
    vmin: float,
    vmax: float,
    cell_text: Callable[[float], tuple[str, str]],
    masked: str | None = None,
    names_as_text: bool = False,
) -> Axes:
    """Draw ``values`` (T, S) as an image, queries down the y-axis, keys along the x-axis.

    ``cmap`` on the colour range [vmin, vmax]; with ``masked`` (a colour), entries that are
    not finite are drawn in it. ``annotate``: True writes ``cell_text(value)`` = (text,
    colour) in each cell, False never, "auto" when T * S <= 64. A colour bar named
    ``colorbar_label`` unless that is None. No frame, no tick marks.
    """
    T, S = values.shape
    ylabels = check_labels(query_labels, T, "query_labels", "T")
    xlabels = check_labels(key_labels, S, "key_labels", "S")
    if annotate not in (True, False, "auto"):
        raise ValueError(f'annotate must be True, False or "auto"; got {annotate!r}')

    ax = new_axes(ax)
    data, colours = values.numpy(), cmap
    if masked is not None:
        data = np.ma.masked_array(data, mask=~np.isfinite(data))
        colours = mpl.colormaps[cmap].with_extremes(bad=masked)
    image = ax.imshow(data, cmap=colours, vmin=vmin, vmax=vmax, aspect="auto")
    _name_rows_and_columns(ax, ylabels, xlabels, as_text=names_as_text)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    if title is not None:
        ax.set_title(title)
    if annotate is True or (annotate == "auto" and T * S <= 64):
        for i in range(T):
            for j in range(S):
                text, colour = cell_text(values[i, j].item())
                ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=8)
    if colorbar_label is not None:
        ax.figure.colorbar(image, ax=ax, label=colorbar_label)
    return ax


def _weight_text(value: float) -> tuple[str, str]:
    return f"{value:.2f}", "black" if value > 0.5 else "white"  # readable on viridis


#: Attention weights: viridis on the fixed range 0..1, the same in every figure.
weight_heatmap = functools.partial(
    matrix_heatmap, cmap=HEATMAP_CMAP, vmin=0.0, vmax=1.0, cell_text=_weight_text
)
