"""Argument checks and Axes helpers shared by every plot helper (private).

A mistake is reported as a TypeError or ValueError naming the argument and the shape,
before anything is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

#: How far outside [0, 1] attention weights may stray by rounding.
_TOLERANCE = 1e-5


def as_tensor(x: object, name: str) -> torch.Tensor:
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


def as_values(x: object, name: str) -> torch.Tensor:
    """Like :func:`as_tensor`, but a plain sequence of numbers (a list) is accepted too."""
    return as_tensor(torch.as_tensor(x) if isinstance(x, Sequence) else x, name)


def check_probabilities(t: torch.Tensor, name: str) -> None:
    """Raise a ValueError unless every entry of ``t`` is finite and in [0, 1]."""
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or inf (shape {tuple(t.shape)})")
    lo, hi = t.min().item(), t.max().item()
    if lo < -_TOLERANCE or hi > 1 + _TOLERANCE:
        raise ValueError(
            f"{name} must be attention weights in [0, 1]; got values from {lo:.4g} to {hi:.4g} "
            f"(shape {tuple(t.shape)}). Did you pass scores before the softmax?"
        )


def check_labels(labels: Sequence[str] | None, n: int, name: str, axis: str) -> list[str]:
    """The ``n`` labels as strings (default "0", "1", ...); ``axis`` names n in the message."""
    if labels is None:
        return [str(i) for i in range(n)]
    labels = [str(label) for label in labels]
    if len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} entries but the weights have {axis}={n}")
    return labels


def new_axes(ax: Axes | None, figsize: tuple[float, float] | None = None) -> Axes:
    """``ax`` itself, or the Axes of a new pyplot figure when it is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax


def label_axes(ax: Axes, xlabel: str, ylabel: str, title: str | None = None) -> None:
    """Name both axes, and set the title when one is given."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
