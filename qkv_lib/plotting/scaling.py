"""How a cost grows with a size: curves on log-log axes, with a power-law reference line.

Used in chapter 8 (the time of attention against the sequence length T, with a T² line).
On log-log axes a cost ∝ T^p is a straight line of slope p, so the reference line shows at a
glance whether a measured curve grows like it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from matplotlib.axes import Axes

from ._args import as_values, label_axes, new_axes
from .curves import named_series, plot_series
from .style import OKABE_ITO

__all__ = ["scaling_plot"]

_POWERS = {1: "", 2: "²", 3: "³"}


def scaling_plot(
    sizes: Sequence[float] | torch.Tensor,
    series: Mapping[str, Sequence[float] | torch.Tensor],
    *,
    slope: float | None = 2.0,
    ax: Axes | None = None,
    variable: str = "T",
    xlabel: str = "sequence length T",
    ylabel: str = "time per call (ms)",
    title: str | None = None,
) -> Axes:
    """Draw named costs against ``sizes`` on log-log axes, with a reference line ∝ size^slope.

    ``sizes`` holds N positive sizes (ticks are put at them); ``series`` maps a legend label
    to N positive values. The dashed reference line goes through the last point of the first
    series and has the given ``slope``, labelled e.g. "∝ T²" (``variable`` is the T);
    ``slope=None`` leaves it out.
    """
    xs = as_values(sizes, "sizes")
    if xs.ndim != 1 or xs.numel() < 2 or not (xs > 0).all():
        raise ValueError(f"sizes must be 1-D, positive and at least 2; got {xs.tolist()}")
    curves = named_series(series, xs, "sizes")
    for name, y in curves.items():
        if not (torch.isfinite(y).all() and (y > 0).all()):
            raise ValueError(f"series[{name!r}] must be positive to be drawn on a log axis")
    if slope is not None and (isinstance(slope, bool) or not isinstance(slope, (int, float))):
        raise TypeError(f"slope must be a number or None; got {type(slope).__name__}")

    ax = new_axes(ax)
    plot_series(ax, xs, curves)
    if slope is not None:
        anchor = next(iter(curves.values()))[-1]
        reference = anchor * (xs / xs[-1]) ** slope
        ax.plot(
            xs.numpy(),
            reference.numpy(),
            linestyle="--",
            color=OKABE_ITO["black"],
            linewidth=1.0,
            label=f"∝ {variable}{_POWERS.get(slope, f'^{slope:g}')}",
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(xs.tolist(), [f"{v:g}" for v in xs.tolist()])
    ax.minorticks_off()
    ax.legend(frameon=False)
    label_axes(ax, xlabel, ylabel, title)
    return ax
