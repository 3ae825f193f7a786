"""Figures for the course: one style, attention heatmaps, vectors in the plane, weight bars.

Every helper takes ``ax=None`` (a new figure is made when it is None), labels its axes and
returns the Axes; none calls ``plt.show()``. First used in chapter 1, Q, K and V as retrieval;
the heatmap is used by every later chapter.

Shapes: L query length, S key/value length, N number of vectors.
"""

from __future__ import annotations

import contextlib
import gzip
import io
from collections.abc import Iterator, Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "COURSE_STYLE",
    "OKABE_ITO",
    "attention_heatmap",
    "bar_weights",
    "course_style",
    "figure_to_png",
    "figure_to_svg",
    "gzipped_size",
    "vectors_2d",
]

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

# The colour cycle leaves out black (used for text) and yellow (too light on white).
_CYCLE = ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue")
CYCLE: tuple[str, ...] = tuple(OKABE_ITO[name] for name in _CYCLE)

#: Sequential colour map of every heatmap (perceptually uniform, colour-blind safe).
HEATMAP_CMAP = "viridis"

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

_SVG_METADATA = {"Date": None, "Creator": None}
_PNG_METADATA = {"Software": None}
_TOLERANCE = 1e-5


@contextlib.contextmanager
def course_style() -> Iterator[None]:
    """Temporarily apply ``COURSE_STYLE`` (a ``matplotlib.rc_context``)."""
    with mpl.rc_context(COURSE_STYLE):
        yield


# --- input checks -------------------------------------------------------------------------


def _as_tensor(x: object, name: str) -> torch.Tensor:
    """Return ``x`` as a detached float64 CPU tensor, or raise a TypeError naming ``name``."""
    if isinstance(x, torch.Tensor):
        t = x.detach().cpu()
    elif isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers; got a numpy array of dtype {x.dtype}")
        t = torch.from_numpy(x)
    else:
        raise TypeError(f"{name} must be a torch.Tensor (or numpy array); got {type(x).__name__}")
    if t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"{name} must hold real numbers; got dtype {t.dtype}")
    return t.to(torch.float64)


def _check_probabilities(t: torch.Tensor, name: str) -> None:
    """Raise a ValueError unless every entry of ``t`` is finite and in [0, 1]."""
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or inf (shape {tuple(t.shape)})")
    lo, hi = t.min().item(), t.max().item()
    if lo < -_TOLERANCE or hi > 1 + _TOLERANCE:
        raise ValueError(
            f"{name} must be attention weights in [0, 1]; got values from {lo:.4g} to {hi:.4g} "
            f"(shape {tuple(t.shape)}). Did you pass scores before the softmax?"
        )


def _check_labels(labels: Sequence[str] | None, n: int, name: str, axis: str) -> list[str]:
    if labels is None:
        return [str(i) for i in range(n)]
    labels = [str(label) for label in labels]
    if len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} entries but the weights have {axis}={n}")
    return labels


def _new_axes(ax: Axes | None, figsize: tuple[float, float] | None = None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax


# --- plot helpers -------------------------------------------------------------------------


def _label_query_key_axes(
    ax: Axes, query_labels: list[str], key_labels: list[str], title: str | None
) -> None:
    """Queries down the y-axis, keys along the x-axis, no frame: shared by the matrix plots."""
    ax.set_xticks(range(len(key_labels)), key_labels)
    ax.set_yticks(range(len(query_labels)), query_labels)
    ax.set_xlabel("key (S)")
    ax.set_ylabel("query (L)")
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    if title is not None:
        ax.set_title(title)


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
    """Draw attention weights (L, S) as a heatmap: queries on the y-axis, keys on the x-axis.

    The colour range is fixed to 0..1 so heatmaps can be compared across figures.
    ``annotate``: True writes each weight in its cell, False never, "auto" when L * S <= 64.
    Raises ValueError unless ``weights`` is 2-D with values in [0, 1].
    """
    w = _as_tensor(weights, "weights")
    if w.ndim != 2:
        raise ValueError(
            f"weights must be 2-D with shape (L, S) = (queries, keys); got shape {tuple(w.shape)}"
        )
    _check_probabilities(w, "weights")
    L, S = w.shape
    ylabels = _check_labels(query_labels, L, "query_labels", "L")
    xlabels = _check_labels(key_labels, S, "key_labels", "S")
    if annotate not in (True, False, "auto"):
        raise ValueError(f'annotate must be True, False or "auto"; got {annotate!r}')

    ax = _new_axes(ax)
    image = ax.imshow(w.numpy(), cmap=HEATMAP_CMAP, vmin=0.0, vmax=1.0, aspect="auto")
    _label_query_key_axes(ax, ylabels, xlabels, title)
    if annotate is True or (annotate == "auto" and L * S <= 64):
        for i in range(L):
            for j in range(S):
                value = w[i, j].item()
                colour = "black" if value > 0.5 else "white"  # readable on viridis
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", color=colour, fontsize=8)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="attention weight")
    return ax


def _vector_group(value: object, name: str) -> torch.Tensor:
    t = _as_tensor(value, f"vectors[{name!r}]")
    shape = tuple(t.shape)
    if t.ndim == 1:
        t = t.unsqueeze(0)  # (2,) -> (1, 2)
    if t.ndim != 2 or t.shape[1] != 2:
        raise ValueError(
            f"vectors[{name!r}] must have shape (N, 2) or (2,) (points in the plane); "
            f"got shape {shape}"
        )
    if not torch.isfinite(t).all():
        raise ValueError(f"vectors[{name!r}] contains NaN or inf")
    return t


def vectors_2d(
    vectors: Mapping[str, torch.Tensor],
    *,
    ax: Axes | None = None,
    labels: Mapping[str, Sequence[str]] | None = None,
    colors: Mapping[str, str | Sequence[str]] | None = None,
    arrows: bool = True,
    limit: float | None = None,
    legend: bool = True,
    title: str | None = None,
) -> Axes:
    """Draw groups of 2-D vectors as arrows from the origin (or as points).

    ``vectors`` maps a group name (shown in the legend, e.g. "keys", "query") to a tensor of
    shape (N, 2) or (2,). ``labels`` optionally maps a group name to N names written at the
    tips. ``limit`` fixes both axes to [-limit, limit] (so frames of an animation line up);
    by default it fits the data. ``colors`` maps a group name to one colour or to N colours,
    one per vector (default: the course cycle, one colour per group). The aspect ratio is
    equal, so angles look right.
    """
    if not isinstance(vectors, Mapping) or not vectors:
        raise TypeError(
            "vectors must be a non-empty dict {group name: tensor (N, 2)}; "
            f"got {type(vectors).__name__}"
        )
    groups = {str(name): _vector_group(value, str(name)) for name, value in vectors.items()}
    labels = dict(labels or {})
    for name, names in labels.items():
        if name not in groups:
            raise ValueError(f"labels has a group {name!r} that is not in vectors {list(groups)}")
        if len(names) != groups[name].shape[0]:
            raise ValueError(
                f"labels[{name!r}] has {len(names)} names but vectors[{name!r}] has "
                f"N={groups[name].shape[0]} vectors"
            )
    colors = dict(colors or {})

    ax = _new_axes(ax)
    for index, (name, points) in enumerate(groups.items()):
        colour = colors.get(name, CYCLE[index % len(CYCLE)])
        xy = points.numpy()
        if isinstance(colour, str):
            per_vector = [colour] * len(xy)
        elif len(colour) == len(xy):
            per_vector = list(colour)
        else:
            raise ValueError(
                f"colors[{name!r}] must be one colour or N={len(xy)} colours; got {len(colour)}"
            )
        if arrows:
            ax.quiver(
                np.zeros(len(xy)),
                np.zeros(len(xy)),
                xy[:, 0],
                xy[:, 1],
                angles="xy",
                scale_units="xy",
                scale=1,
                color=per_vector,
                width=0.012,
                label=name,
            )
        else:
            ax.scatter(xy[:, 0], xy[:, 1], color=per_vector, label=name, zorder=3)
        texts = labels.get(name, ())  # lengths checked above
        for (x, y), text, text_colour in zip(xy, texts, per_vector, strict=False):
            norm = float(np.hypot(x, y)) or 1.0
            ax.annotate(
                str(text),
                (x, y),
                xytext=(8 * x / norm, 8 * y / norm),
                textcoords="offset points",
                ha="left" if x >= 0 else "right",
                va="bottom" if y >= 0 else "top",
                color=text_colour,
            )
    if limit is None:
        everything = torch.cat(list(groups.values()))
        limit = 1.25 * max(float(everything.abs().max()), 1e-6)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.axhline(0, color="0.85", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.85", linewidth=0.8, zorder=0)
    ax.set_xlabel("dimension 1")
    ax.set_ylabel("dimension 2")
    if legend:
        ax.legend(loc="lower left", frameon=False)
    if title is not None:
        ax.set_title(title)
    return ax


def bar_weights(
    weights: torch.Tensor,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    color: str | Sequence[str] | None = None,
    annotate: bool = True,
) -> Axes:
    """Draw one query's attention weights over S keys as bars on a fixed 0..1 y-axis.

    ``weights`` has shape (S,) with values in [0, 1]; ``labels`` names the S keys;
    ``color`` is one colour or S colours (e.g. the keys' colours in a ``vectors_2d`` panel).
    """
    w = _as_tensor(weights, "weights")
    if w.ndim != 1:
        raise ValueError(
            f"weights must be 1-D with shape (S,) (one query's weights); got shape {tuple(w.shape)}"
        )
    _check_probabilities(w, "weights")
    names = _check_labels(labels, w.shape[0], "labels", "S")

    ax = _new_axes(ax)
    bars = ax.bar(range(len(names)), w.numpy(), color=color or CYCLE[0])
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, 1)
    ax.set_xlabel("key")
    ax.set_ylabel("attention weight")
    if annotate:
        ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=8)
    if title is not None:
        ax.set_title(title)
    return ax


# --- deterministic rendering --------------------------------------------------------------


def figure_to_svg(fig: Figure) -> str:
    """Render ``fig`` as SVG text, reproducibly: no date, no creator, fixed ids (svg.hashsalt)."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
    buffer = io.StringIO()
    with mpl.rc_context(
        {"svg.hashsalt": COURSE_STYLE["svg.hashsalt"], "svg.fonttype": COURSE_STYLE["svg.fonttype"]}
    ):
        fig.savefig(buffer, format="svg", metadata=_SVG_METADATA)
    return buffer.getvalue()


def figure_to_png(fig: Figure, *, dpi: float | None = None) -> bytes:
    """Render ``fig`` as PNG bytes without the "Software" metadata, so output is reproducible."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="png", dpi=dpi or COURSE_STYLE["savefig.dpi"], metadata=_PNG_METADATA
    )
    return buffer.getvalue()


def gzipped_size(data: str | bytes) -> int:
    """Size in bytes of ``data`` after gzip (what a web server would send)."""
    raw = data.encode() if isinstance(data, str) else data
    return len(gzip.compress(raw, mtime=0))


# --- scores and curves (first used in chapter 4, the simple attention flow) ----------------

__all__ += ["SCORE_CMAP", "line_plot", "score_heatmap"]

#: Diverging colour map for scores, which can be any real number (ColorBrewer RdBu,
#: colour-blind safe): blue below zero, white at zero, red above. Masked cells are grey.
SCORE_CMAP = "RdBu_r"
_MASKED_GREY = "0.85"


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
    """Draw raw attention scores (L, S), before the softmax, as a diverging heatmap.

    Scores are not in 0..1, so the colour range is symmetric, [-limit, limit] (default: the
    largest finite |score|, or 1 when all are zero), with white at zero; pass the same
    ``limit`` to compare figures. Entries equal to ``-inf`` (masked out) are drawn grey and
    written "−∞". Queries on the y-axis, keys on the x-axis, as in :func:`attention_heatmap`.
    ``annotate``: True, False or "auto" (when L * S <= 64); ``label`` names the colour bar.
    """
    s = _as_tensor(scores, "scores")
    if s.ndim != 2:
        raise ValueError(
            f"scores must be 2-D with shape (L, S) = (queries, keys); got shape {tuple(s.shape)}"
        )
    if torch.isnan(s).any() or torch.isposinf(s).any():
        raise ValueError(
            f"scores contains NaN or +inf (shape {tuple(s.shape)}); only -inf (masked) is allowed"
        )
    L, S = s.shape
    ylabels = _check_labels(query_labels, L, "query_labels", "L")
    xlabels = _check_labels(key_labels, S, "key_labels", "S")
    if annotate not in (True, False, "auto"):
        raise ValueError(f'annotate must be True, False or "auto"; got {annotate!r}')
    finite = torch.isfinite(s)
    if limit is None:
        limit = (float(s[finite].abs().max()) if finite.any() else 0.0) or 1.0  # never 0
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
        raise ValueError(f"limit must be a positive number; got {limit!r}")
    limit = float(limit)

    ax = _new_axes(ax)
    cmap = mpl.colormaps[SCORE_CMAP].with_extremes(bad=_MASKED_GREY)
    data = np.ma.masked_array(s.numpy(), mask=~finite.numpy())
    image = ax.imshow(data, cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
    _label_query_key_axes(ax, ylabels, xlabels, title)
    if annotate is True or (annotate == "auto" and L * S <= 64):
        for i in range(L):
            for j in range(S):
                value = s[i, j].item()
                if finite[i, j]:
                    text = f"{value:.2f}".replace("-", "\N{MINUS SIGN}")
                    colour = "white" if abs(value) > 0.6 * limit else "black"  # dark ends
                else:
                    text, colour = "\N{MINUS SIGN}\N{INFINITY}", "black"
                ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=8)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=label)
    return ax


def line_plot(
    x: Sequence[float] | torch.Tensor,
    series: Mapping[str, Sequence[float] | torch.Tensor],
    *,
    ax: Axes | None = None,
    xlabel: str = "x",
    ylabel: str = "y",
    title: str | None = None,
    logx: float | None = None,
    ylim: tuple[float, float] | None = None,
    legend: bool = True,
) -> Axes:
    """Draw one or more named curves over the same x values, with markers at the points.

    ``series`` maps a legend label to N y-values (one per x). ``logx`` is a log base for the
    x-axis (e.g. 2), ticks at the given x values; ``ylim`` fixes the y-range.
    """
    xs = _as_tensor(torch.as_tensor(x) if isinstance(x, Sequence) else x, "x")
    if xs.ndim != 1 or xs.numel() == 0:
        raise ValueError(f"x must be 1-D and non-empty; got shape {tuple(xs.shape)}")
    if not isinstance(series, Mapping) or not series:
        raise TypeError(
            f"series must be a non-empty dict {{label: y values}}; got {type(series).__name__}"
        )
    curves = {}
    for name, ys in series.items():
        y = _as_tensor(torch.as_tensor(ys) if isinstance(ys, Sequence) else ys, f"series[{name!r}]")
        if y.shape != xs.shape:
            raise ValueError(
                f"series[{name!r}] has shape {tuple(y.shape)} but x has shape {tuple(xs.shape)}"
            )
        curves[str(name)] = y

    ax = _new_axes(ax)
    for index, (name, y) in enumerate(curves.items()):
        ax.plot(xs.numpy(), y.numpy(), marker="o", color=CYCLE[index % len(CYCLE)], label=name)
    if logx is not None:
        ax.set_xscale("log", base=logx)
        ax.set_xticks(xs.tolist(), [f"{v:g}" for v in xs.tolist()])
        ax.minorticks_off()
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend(frameon=False)
    if title is not None:
        ax.set_title(title)
    return ax


# --- heatmaps side by side (first used in chapter 2, where Q, K and V come from) ----------

__all__ += ["side_by_side_heatmaps"]


def side_by_side_heatmaps(
    panels: Mapping[str, torch.Tensor],
    *,
    query_labels: Sequence[str] | None = None,
    key_labels: Sequence[str] | None = None,
    annotate: bool | str = "auto",
    figsize: tuple[float, float] | None = None,
) -> list[Axes]:
    """Draw several attention maps in one row of a new figure, to compare them.

    ``panels`` maps each panel's title to its weights (L, S) (the panels may differ in L
    and S; the labels, if given, must fit every panel). Each panel is an
    :func:`attention_heatmap` on the fixed 0..1 range; one colour bar serves them all.
    Returns the list of Axes, left to right.
    """
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError(
            "panels must be a non-empty dict {title: weights (L, S)}; "
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
    fig.colorbar(row[0].images[0], ax=row, label="attention weight")
    return row


# --- one heatmap per head, in a grid (first used in chapter 5, multi-head attention) ------

__all__ += ["head_heatmaps"]

#: Layout of :func:`head_heatmaps`, in inches: panel size, gaps between panels, margins.
_HEAD_PANEL = (2.1, 1.75)
_HEAD_GAP = (0.95, 0.9)
_HEAD_MARGIN = {"left": 0.9, "right": 1.05, "top": 0.35, "bottom": 0.62}
_HEAD_FONTSIZE = 9


def _text_tick_labels(ax: Axes, query_labels: list[str], key_labels: list[str]) -> None:
    """Name the rows and columns with plain text: a tenth of the drawing time of ticks."""
    ax.set_xticks([])
    ax.set_yticks([])
    below, left = ax.get_xaxis_transform(), ax.get_yaxis_transform()  # data x / data y
    for j, name in enumerate(key_labels):
        ax.text(j, -0.04, name, transform=below, ha="center", va="top")
    for i, name in enumerate(query_labels):
        ax.text(-0.04, i, name, transform=left, ha="right", va="center")
    widest = max((len(name) for name in query_labels), default=1)
    ax.set_xlabel("key (S)", labelpad=_HEAD_FONTSIZE + 6)  # below the key names
    ax.set_ylabel("query (L)", labelpad=0.6 * _HEAD_FONTSIZE * widest + 6)


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
    """Draw every head's attention map, weights (H, L, S), in a grid of equal panels.

    Head ``h`` is panel ``h``, row-major, ``ncols`` to a row (fewer when H < ncols), titled
    ``titles[h]`` (default "head h"). Every panel follows :func:`attention_heatmap`: queries
    down the y-axis, keys along the x-axis, the same colour map on the fixed 0..1 range, one
    colour bar on the right for all. The token names are plain text rather than tick labels,
    so that a grid of many panels draws fast enough for an explorer. The panels have a fixed
    size in inches and are centred in ``fig`` (made to fit when None) above a band of
    ``bottom`` inches left free for text, so grids of different H line up. Returns the Axes.
    """
    w = _as_tensor(weights, "weights")
    if w.ndim != 3:
        raise ValueError(
            "weights must be 3-D with shape (H, L, S) = (heads, queries, keys); "
            f"got shape {tuple(w.shape)}"
        )
    _check_probabilities(w, "weights")
    H, L, S = w.shape
    ylabels = _check_labels(query_labels, L, "query_labels", "L")
    xlabels = _check_labels(key_labels, S, "key_labels", "S")
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
            ax = fig.add_axes((left / fw, low / fh, pw / fw, ph / fh))
            image = ax.imshow(w[h].numpy(), cmap=HEATMAP_CMAP, vmin=0.0, vmax=1.0, aspect="auto")
            _text_tick_labels(ax, ylabels, xlabels)
            for side in ("top", "right", "bottom", "left"):
                ax.spines[side].set_visible(False)
            ax.set_title(titles[h])
            axes.append(ax)
        cax = fig.add_axes(((x0 + grid_w + 0.25) / fw, y0 / fh, 0.14 / fw, grid_h / fh))
        fig.colorbar(image, cax=cax, label="attention weight", ticks=[0, 0.5, 1])
        cax.set_xlabel("0 to 1", fontsize=8)  # the fixed range, the same in every figure
    return axes


# --- training curves (first used in chapter 7, watch the projections learn) ---------------

__all__ += ["training_curves"]


def training_curves(
    loss: Sequence[float] | torch.Tensor,
    accuracy: Sequence[float] | torch.Tensor | None = None,
    *,
    ax: Axes | None = None,
    mark: int | None = None,
    chance: float | None = None,
    loss_limit: float | None = None,
    title: str | None = None,
) -> Axes:
    """Draw a training run: the loss at each step (left axis) and the accuracy (right axis).

    ``loss`` and ``accuracy`` have one value per step, (N,), step 0 first; the accuracy is
    drawn on a twin Axes (sharing the x-axis) with a fixed 0..1 range. ``chance`` draws the
    accuracy of guessing as a dotted line; ``mark`` draws a vertical line at that step (a
    checkpoint); ``loss_limit`` fixes the loss axis to [0, loss_limit] (so frames line up).
    Returns the loss Axes.
    """
    losses = _as_tensor(torch.as_tensor(loss) if isinstance(loss, Sequence) else loss, "loss")
    if losses.ndim != 1 or losses.numel() == 0:
        raise ValueError(
            f"loss must be 1-D and non-empty (one value per step); got {tuple(losses.shape)}"
        )
    acc = None
    if accuracy is not None:
        acc = _as_tensor(
            torch.as_tensor(accuracy) if isinstance(accuracy, Sequence) else accuracy, "accuracy"
        )
        if acc.shape != losses.shape:
            raise ValueError(
                f"accuracy has shape {tuple(acc.shape)} but loss has {tuple(losses.shape)}: "
                "give one value per step for both"
            )
        if not torch.isfinite(acc).all() or acc.min() < 0 or acc.max() > 1:
            raise ValueError(
                "accuracy must hold shares between 0 and 1; got values from "
                f"{acc.min().item():.4g} to {acc.max().item():.4g}"
            )

    ax = _new_axes(ax)
    steps = np.arange(losses.numel())
    last = max(losses.numel(), mark or 0)
    handles = ax.plot(steps, losses.numpy(), color=CYCLE[0], linewidth=1.2, label="loss")
    ax.set_xlabel("training step")
    ax.set_ylabel("loss (cross-entropy)")
    ax.set_xlim(-0.02 * last, 1.02 * last)  # margins: a mark at either end stays visible
    ax.set_ylim(0, loss_limit if loss_limit is not None else 1.05 * float(losses.max()))
    if acc is not None:
        right = ax.twinx()
        handles += right.plot(steps, acc.numpy(), color=CYCLE[1], linewidth=1.2, label="accuracy")
        if chance is not None:
            handles += right.plot(
                [0, last],
                [chance, chance],
                color=CYCLE[1],
                linestyle=":",
                label=f"chance ({chance:.3g})",
            )
        right.set_ylim(0, 1.02)
        right.set_ylabel("accuracy", color=CYCLE[1])
        right.set_xlabel("training step")  # hidden on a twin; keeps every Axes labelled
        right.spines["right"].set_visible(True)
        ax.set_ylabel("loss (cross-entropy)", color=CYCLE[0])
        ax.legend(handles=handles, loc="center right", bbox_to_anchor=(1, 0.62), frameon=False)
    if mark is not None:
        ax.axvline(mark, color=OKABE_ITO["black"], linewidth=1.0, linestyle="--")
    if title is not None:
        ax.set_title(title)
    return ax
