"""One routine that draws a (T, S) matrix as a heatmap, shared by every heatmap (private).

Queries down the y-axis, keys along the x-axis, no frame; the colour map, its range, masked
cells, cell text and colour bar are parameters. ``refill_heatmap`` shows new values in a
heatmap already drawn (for explorers, which redraw one figure per frame). First used in
chapter 1 (attention weights).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.image import AxesImage
from matplotlib.text import Text

from ._args import as_tensor, check_labels, label_axes, new_axes
from .style import HEATMAP_CMAP

#: The colour bar of every weight heatmap.
WEIGHT_LABEL = "attention weight"


@dataclass
class _Cells:
    """What ``refill_heatmap`` needs to know of a heatmap: kept on its image (``_CELLS``)."""

    texts: list[Text]  # one per cell, row by row; empty when not annotated
    cell_text: Callable[[float], tuple[str, str]]
    masked: str | None
    check: Callable[[torch.Tensor], None] | None


_CELLS = "_qkv_cells"


def _image_data(values: torch.Tensor, masked: str | None) -> np.ndarray:
    data = values.numpy()
    return np.ma.masked_array(data, mask=~np.isfinite(data)) if masked is not None else data


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
    check: Callable[[torch.Tensor], None] | None = None,
) -> Axes:
    """Draw ``values`` (T, S) as an image, queries down the y-axis, keys along the x-axis.

    ``cmap`` on the colour range [vmin, vmax]; with ``masked`` (a colour), entries that are
    not finite are drawn in it. ``annotate``: True writes ``cell_text(value)`` = (text,
    colour) in each cell, False never, "auto" when T * S <= 64. A colour bar named
    ``colorbar_label`` unless that is None. No frame, no tick marks. ``check`` is how
    :func:`refill_heatmap` checks new values (the caller has checked ``values``).
    """
    T, S = values.shape
    ylabels = check_labels(query_labels, T, "query_labels", "T")
    xlabels = check_labels(key_labels, S, "key_labels", "S")
    if annotate not in (True, False, "auto"):
        raise ValueError(f'annotate must be True, False or "auto"; got {annotate!r}')

    ax = new_axes(ax)
    colours = cmap if masked is None else mpl.colormaps[cmap].with_extremes(bad=masked)
    image = ax.imshow(
        _image_data(values, masked), cmap=colours, vmin=vmin, vmax=vmax, aspect="auto"
    )
    _name_rows_and_columns(ax, ylabels, xlabels, as_text=names_as_text)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    if title is not None:
        ax.set_title(title)
    texts = []
    if annotate is True or (annotate == "auto" and T * S <= 64):
        for i in range(T):
            for j in range(S):
                text, colour = cell_text(values[i, j].item())
                texts.append(
                    ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=8)
                )
    setattr(image, _CELLS, _Cells(texts, cell_text, masked, check))
    if colorbar_label is not None:
        ax.figure.colorbar(image, ax=ax, label=colorbar_label)
    return ax


def refill_heatmap(ax: Axes, values: torch.Tensor) -> AxesImage:
    """Show ``values`` in the heatmap that :func:`matrix_heatmap` drew on ``ax``.

    The shape must be the one drawn; the image's data and the cell texts change, nothing is
    added. Returns the image.
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes; got {type(ax).__name__}")
    images = [image for image in ax.images if hasattr(image, _CELLS)]
    if len(images) != 1:
        raise ValueError(
            f"ax must hold one heatmap drawn by attention_heatmap or score_heatmap; "
            f"it holds {len(images)}"
        )
    (image,) = images
    cells: _Cells = getattr(image, _CELLS)
    m = as_matrix(values, "values")
    shown = tuple(image.get_array().shape)
    if tuple(m.shape) != shown:
        raise ValueError(
            f"values has shape {tuple(m.shape)} but the heatmap shows (T, S) = {shown}; "
            "draw a new heatmap for another shape"
        )
    if cells.check is not None:
        cells.check(m)
    image.set_data(_image_data(m, cells.masked))
    for text, value in zip(cells.texts, m.flatten().tolist(), strict=False):
        label, colour = cells.cell_text(value)
        text.set_text(label)
        text.set_color(colour)
    return image


def _weight_text(value: float) -> tuple[str, str]:
    return f"{value:.2f}", "black" if value > 0.5 else "white"  # readable on viridis


#: Attention weights: viridis on the fixed range 0..1, the same in every figure.
weight_heatmap = functools.partial(
    matrix_heatmap, cmap=HEATMAP_CMAP, vmin=0.0, vmax=1.0, cell_text=_weight_text
)
