"""Charts of numbers: one query's weights as bars, named curves, a training run.

``bar_weights`` is first used in chapter 1 (next to ``vectors_2d``), ``line_plot`` in
chapter 4 (the softmax as d_k grows), ``training_curves`` in chapter 7 (loss and accuracy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.axes import Axes

from ._args import as_tensor, as_values, check_labels, check_probabilities, label_axes, new_axes
from .style import CYCLE, OKABE_ITO


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
    w = as_tensor(weights, "weights")
    if w.ndim != 1:
        raise ValueError(
            f"weights must be 1-D with shape (S,) (one query's weights); got shape {tuple(w.shape)}"
        )
    check_probabilities(w, "weights")
    names = check_labels(labels, w.shape[0], "labels", "S")

    ax = new_axes(ax)
    bars = ax.bar(range(len(names)), w.numpy(), color=color or CYCLE[0])
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, 1)
    label_axes(ax, "key", "attention weight", title)
    if annotate:
        ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=8)
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
    xs = as_values(x, "x")
    if xs.ndim != 1 or xs.numel() == 0:
        raise ValueError(f"x must be 1-D and non-empty; got shape {tuple(xs.shape)}")
    curves = named_series(series, xs, "x")

    ax = new_axes(ax)
    plot_series(ax, xs, curves)
    if logx is not None:
        ax.set_xscale("log", base=logx)
        ax.set_xticks(xs.tolist(), [f"{v:g}" for v in xs.tolist()])
        ax.minorticks_off()
    if ylim is not None:
        ax.set_ylim(*ylim)
    if legend:
        ax.legend(frameon=False)
    label_axes(ax, xlabel, ylabel, title)
    return ax


def named_series(series: object, xs: torch.Tensor, x_name: str) -> dict[str, torch.Tensor]:
    """Check ``series``, a dict {label: values}, each as long as ``xs``; return the values."""
    if not isinstance(series, Mapping) or not series:
        raise TypeError(
            f"series must be a non-empty dict {{label: values}}; got {type(series).__name__}"
        )
    curves = {}
    for name, values in series.items():
        y = as_values(values, f"series[{name!r}]")
        if y.shape != xs.shape:
            raise ValueError(
                f"series[{name!r}] has shape {tuple(y.shape)} but {x_name} has shape "
                f"{tuple(xs.shape)}"
            )
        curves[str(name)] = y
    return curves


def plot_series(ax: Axes, xs: torch.Tensor, curves: dict[str, torch.Tensor]) -> None:
    """One line with markers per curve, in the course's colour cycle, labelled for a legend."""
    for index, (name, y) in enumerate(curves.items()):
        ax.plot(xs.numpy(), y.numpy(), marker="o", color=CYCLE[index % len(CYCLE)], label=name)


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
    losses = as_values(loss, "loss")
    if losses.ndim != 1 or losses.numel() == 0:
        raise ValueError(
            f"loss must be 1-D and non-empty (one value per step); got {tuple(losses.shape)}"
        )
    acc = None
    if accuracy is not None:
        acc = as_values(accuracy, "accuracy")
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

    ax = new_axes(ax)
    steps = np.arange(losses.numel())
    last = max(losses.numel(), mark or 0)
    handles = ax.plot(steps, losses.numpy(), color=CYCLE[0], linewidth=1.2, label="loss")
    label_axes(ax, "training step", "loss (cross-entropy)", title)
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
        ax.yaxis.label.set_color(CYCLE[0])  # the loss curve's colour, as for the accuracy
        ax.legend(handles=handles, loc="center right", bbox_to_anchor=(1, 0.62), frameon=False)
    if mark is not None:
        ax.axvline(mark, color=OKABE_ITO["black"], linewidth=1.0, linestyle="--")
    return ax
