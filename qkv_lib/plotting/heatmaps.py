"""Heatmaps of attention matrices: queries down the y-axis, keys along the x-axis.

``attention_heatmap`` draws weights (T, S) on the fixed range 0..1 (chapter 1 on);
``side_by_side_heatmaps`` compares several in one row (chapter 2); ``score_heatmap`` draws
the raw scores before the softmax on a diverging, symmetric range (chapter 4);
``head_heatmaps`` draws one map per head (H, T, S) in a grid (chapter 5). All of them draw
with one routine, ``_matrix.matrix_heatmap``; ``update_heatmap`` shows new values in a
heatmap already drawn (the explorers' frames, from chapter 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._args import as_tensor, check_labels, check_probabilities
from ._matrix import WEIGHT_LABEL, as_matrix, matrix_heatmap, refill_heatmap, weight_heatmap
from .style import SCORE_CMAP

_MASKED_GREY = "0.85"
_MINUS, _MINUS_INFINITY = "\N{MINUS SIGN}", "\N{MINUS SIGN}\N{INFINITY}"


def attention_heatmap(
    weights: torch.Tensor,
    *,
    ax: Axes | None = None,
    query_labels: Sequence[str] | None = None,
    key_labels: Sequence[str] | None = None,
    title: str | None = None,
    annotate: bool | str = "auto",
    colorbar: bool = True,
) -> Axes:
    """Draw attention weights (T, S) as a heatmap: queries on the y-axis, keys on the x-axis.

    The colour range is fixed to 0..1 so heatmaps can be compared across figures.
    ``annotate``: True writes each weight in its cell, False never, "auto" when T * S <= 64.
    Raises ValueError unless ``weights`` is 2-D with values in [0, 1].
    """
    w = as_matrix(weights, "weights")
    _check_weights(w)
    return weight_heatmap(
        w,
        ax=ax,
        query_labels=query_labels,
        key_labels=key_labels,
        title=title,
        annotate=annotate,
        colorbar_label=WEIGHT_LABEL if colorbar else None,
        check=_check_weights,
    )


def _check_weights(w: torch.Tensor) -> None:
    check_probabilities(w, "weights")


def _check_scores(s: torch.Tensor) -> None:
    if torch.isnan(s).any() or torch.isposinf(s).any():
        raise ValueError(
            f"scores contains NaN or +inf (shape {tuple(s.shape)}); only -inf (masked) is allowed"
        )


def score_heatmap(
    scores: torch.Tensor,
    *,
    ax: Axes | None = None,
    query_labels: Sequence[str] | None = None,
    key_labels: Sequence[str] | None = None,
    title: str | None = None,
    limit: float | None = None,
    annotate: bool | str = "auto",
    colorbar: bool = True,
    label: str = "score (not a weight)",
) -> Axes:
    """Draw raw attention scores (T, S), before the softmax, as a diverging heatmap.

    Scores are not in 0..1, so the colour range is symmetric, [-limit, limit] (default: the
    largest finite |score|, or 1 when all are zero), with white at zero; pass the same
    ``limit`` to compare figures. Entries equal to ``-inf`` (masked out) are drawn grey and
    written "−∞". Queries on the y-axis, keys on the x-axis, as in :func:`attention_heatmap`.
    ``annotate``: True, False or "auto" (when T * S <= 64); ``label`` names the colour bar.
    """
    s = as_matrix(scores, "scores")
    _check_scores(s)
    finite = torch.isfinite(s)
    if limit is None:
        limit = (float(s[finite].abs().max()) if finite.any() else 0.0) or 1.0  # never 0
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
        raise ValueError(f"limit must be a positive number; got {limit!r}")
    limit = float(limit)

    def score_text(value: float) -> tuple[str, str]:
        if not math.isfinite(value):
            return _MINUS_INFINITY, "black"
        text = f"{value:.2f}".replace("-", _MINUS)
        return text, "white" if abs(value) > 0.6 * limit else "black"  # dark ends

    return matrix_heatmap(
        s,
        ax=ax,
        query_labels=query_labels,
        key_labels=key_labels,
        title=title,
        annotate=annotate,
        colorbar_label=label if colorbar else None,
        cmap=SCORE_CMAP,
        vmin=-limit,
        vmax=limit,
        cell_text=score_text,
        masked=_MASKED_GREY,
        check=_check_scores,
    )


def update_heatmap(ax: Axes, values: torch.Tensor) -> Axes:
    """Show new ``values`` (T, S) in the heatmap that :func:`attention_heatmap` or
    :func:`score_heatmap` drew on ``ax``: the same shape, colour map, range and labels.

    Only the image and the cell texts change (nothing is drawn anew), so this is several
    times faster than drawing the heatmap again: explorers use it to redraw one figure per
    frame. The values are checked as the helper that drew the heatmap checks them
    (weights in [0, 1]; scores without NaN or +inf). Returns the Axes.
    """
    refill_heatmap(ax, values)
    return ax


def side_by_side_heatmaps(
    panels: Mapping[str, torch.Tensor],
    *,
    query_labels: Sequence[str] | None = None,
    key_labels: Sequence[str] | None = None,
    annotate: bool | str = "auto",
    figsize: tuple[float, float] | None = None,
) -> list[Axes]:
    """Draw several attention maps in one row of a new figure, to compare them.

    ``panels`` maps each panel's title to its weights (T, S) (the panels may differ in T
    and S; the labels, if given, must fit every panel). Each panel is an
    :func:`attention_heatmap` on the fixed 0..1 range; one colour bar serves them all.
    Returns the list of Axes, left to right.
    """
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError(
            "panels must be a non-empty dict {title: weights (T, S)}; "
            f"got {type(panels).__name__}"
        )
    n = len(panels)
    if figsize is None:
        figsize = (3.6 * n + 0.8, 3.4)
    fig, axes = plt.subplots(1, n, figsize=figsize, squeeze=False)
    row = list(axes[0])
    for ax, (title, weights) in zip(row, panels.items(), strict=True):
        attention_heatmap(
            weights,
            ax=ax,
            query_labels=query_labels,
            key_labels=key_labels,
            title=str(title),
            annotate=annotate,
            colorbar=False,
        )
    fig.colorbar(row[0].images[0], ax=row, label=WEIGHT_LABEL)
    return row


#: Layout of :func:`head_heatmaps`, in inches: panel size, gaps between panels, margins.
_HEAD_PANEL = (2.1, 1.75)
_HEAD_GAP = (0.95, 0.9)
_HEAD_MARGIN = {"left": 0.9, "right": 1.05, "top": 0.35, "bottom": 0.62}
_HEAD_FONTSIZE = 9


def head_heatmaps(
    weights: torch.Tensor,
    *,
    fig: Figure | None = None,
    ncols: int = 3,
    query_labels: Sequence[str] | None = None,
    key_labels: Sequence[str] | None = None,
    titles: Sequence[str] | None = None,
    bottom: float = 0.0,
) -> list[Axes]:
    """Draw every head's attention map, weights (H, T, S), in a grid of equal panels.

    Head ``h`` is panel ``h``, row-major, ``ncols`` to a row (fewer when H < ncols), titled
    ``titles[h]`` (default "head h"). Every panel follows :func:`attention_heatmap`: queries
    down the y-axis, keys along the x-axis, the same colour map on the fixed 0..1 range, one
    colour bar on the right for all. The token names are plain text rather than tick labels,
    so that a grid of many panels draws fast enough for an explorer. The panels have a fixed
    size in inches and are centred in ``fig`` (made to fit when None) above a band of
    ``bottom`` inches left free for text, so grids of different H line up. Returns the Axes.
    """
    w = as_tensor(weights, "weights")
    if w.ndim != 3:
        raise ValueError(
            "weights must be 3-D with shape (H, T, S) = (heads, queries, keys); "
            f"got shape {tuple(w.shape)}"
        )
    check_probabilities(w, "weights")
    H, T, S = w.shape
    ylabels = check_labels(query_labels, T, "query_labels", "T")
    xlabels = check_labels(key_labels, S, "key_labels", "S")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int; got {ncols!r}")
    titles = [f"head {h}" for h in range(H)] if titles is None else [str(t) for t in titles]
    if len(titles) != H:
        raise ValueError(f"titles has {len(titles)} entries but the weights have H={H} heads")
    cols = min(H, ncols)
    rows = -(-H // cols)
    (pw, ph), (gx, gy), m = _HEAD_PANEL, _HEAD_GAP, _HEAD_MARGIN
    grid_w, grid_h = cols * pw + (cols - 1) * gx, rows * ph + (rows - 1) * gy
    if fig is None:
        size = (m["left"] + grid_w + m["right"], m["bottom"] + grid_h + m["top"] + bottom)
        fig = plt.figure(figsize=size, layout="none")
    elif not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure or None; got {type(fig).__name__}")
    fw, fh = fig.get_size_inches()
    # Centre the grid in the space the margins and the bottom band leave free.
    x0 = m["left"] + (fw - m["left"] - m["right"] - grid_w) / 2
    y0 = bottom + m["bottom"] + (fh - bottom - m["bottom"] - m["top"] - grid_h) / 2
    axes = []
    with mpl.rc_context({"font.size": _HEAD_FONTSIZE}):
        for h in range(H):
            r, c = divmod(h, cols)
            left, low = x0 + c * (pw + gx), y0 + (rows - 1 - r) * (ph + gy)
            panel = fig.add_axes((left / fw, low / fh, pw / fw, ph / fh))
            axes.append(
                weight_heatmap(
                    w[h],
                    ax=panel,
                    query_labels=ylabels,
                    key_labels=xlabels,
                    title=titles[h],
                    annotate=False,
                    colorbar_label=None,
                    names_as_text=True,
                    check=_check_weights,
                )
            )
        cax = fig.add_axes(((x0 + grid_w + 0.25) / fw, y0 / fh, 0.14 / fw, grid_h / fh))
        fig.colorbar(axes[-1].images[0], cax=cax, label=WEIGHT_LABEL, ticks=[0, 0.5, 1])
        cax.set_xlabel("0 to 1", fontsize=8)  # the fixed range, the same in every figure
    return axes
