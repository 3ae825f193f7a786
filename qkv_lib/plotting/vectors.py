"""Vectors in the plane: groups of 2-D vectors as arrows from the origin (or as points).

First used in chapter 1 (keys and a query as directions) and again in chapter 3 (tokens
before and after the projections W_q, W_k, W_v).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.axes import Axes

from ._args import as_tensor, label_axes, new_axes
from .style import CYCLE


def _vector_group(value: object, name: str) -> torch.Tensor:
    """One group of vectors as (N, 2): a single vector (2,) becomes (1, 2)."""
    t = as_tensor(value, f"vectors[{name!r}]")
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


def tip_label_place(x: float, y: float) -> tuple[tuple[float, float], str, str]:
    """Where :func:`vectors_2d` names a vector (x, y): 8 points beyond its tip, pointing away
    from the origin. Returns the offset in points and the horizontal and vertical alignment
    (an explorer uses it to move a name when its arrow turns)."""
    norm = float(np.hypot(x, y)) or 1.0
    offset = (8 * x / norm, 8 * y / norm)
    return offset, "left" if x >= 0 else "right", "bottom" if y >= 0 else "top"


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

    ax = new_axes(ax)
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
            offset, ha, va = tip_label_place(x, y)
            ax.annotate(
                str(text),
                (x, y),
                xytext=offset,
                textcoords="offset points",
                ha=ha,
                va=va,
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
    if legend:
        ax.legend(loc="lower left", frameon=False)
    label_axes(ax, "dimension 1", "dimension 2", title)
    return ax
