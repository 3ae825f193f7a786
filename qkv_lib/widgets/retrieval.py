"""Chapter 1's explorer: turn a query among the toy keys and watch the soft lookup.

Taught in chapter 1, Q, K and V as retrieval. Shapes: S number of keys, E key dim (2 here,
so it can be drawn; here d_k = E, so the scale √d_k is √2), Dv value dim.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from ..examples.lookup_table import VALUE_FEATURES, query_at_angle, toy_keys_values
from ..plotting import CYCLE, OKABE_ITO, bar_weights, vectors_2d
from ..retrieval import soft_lookup
from .controls import Dropdown, Slider
from .explorer import Explorer
from .redraw import move_arrows, pin_titles, set_bar_heights

__all__ = ["draw_query_lookup", "query_explorer"]

_QUERY_COLOUR = OKABE_ITO["black"]


class _LookupFigure(Figure):
    """Chapter 1's figure, built once; ``show(angle, temperature)`` changes what they change:
    the query's arrow, the weights, the values' opacity, the retrieved mix and two titles."""

    def __init__(self) -> None:
        # A fixed layout (no layout engine): faster, and the panels never jump between frames.
        super().__init__(figsize=(11.5, 3.7), layout="none")
        keys, values, labels = toy_keys_values()  # (S, E) = (4, 2), (S, Dv) = (4, 3)
        self._colours = list(CYCLE[: len(labels)])  # one colour per key, in the keys' order
        self._plane, self._weights, self._values = self.subplots(
            1,
            3,
            gridspec_kw={"width_ratios": [1.0, 1.0, 1.3], "wspace": 0.3},
        )
        self.subplots_adjust(left=0.04, right=0.99, bottom=0.14, top=0.91)

        vectors_2d(
            {"keys": keys, "query": query_at_angle(0)},
            ax=self._plane,
            labels={"keys": labels, "query": ["query"]},
            colors={"keys": self._colours, "query": _QUERY_COLOUR},
            limit=3.0,
            legend=False,
        )
        self._query, self._query_name = self._plane.collections[-1], self._plane.texts[-1]
        # Ticks are the slowest part of a frame (~1.5 ms each); the plane needs none: its
        # scale is irrelevant here, the angle is in the title and every key has length 2.
        self._plane.set_xticks([])
        self._plane.set_yticks([])
        for side in ("left", "bottom"):
            self._plane.spines[side].set_visible(False)  # the grey cross marks the origin

        S = len(labels)
        bar_weights(torch.full((S,), 1 / S), labels, ax=self._weights, color=self._colours)
        self._weights.set_yticks([0, 0.5, 1])
        self._weight_bars, self._weight_labels = (
            self._weights.containers[0],
            list(self._weights.texts),
        )

        # Each key's value in its key's colour, more opaque the more weight it gets, then the
        # retrieved mix in black. No legend: the colours are the keys' colours in the other
        # panels (and a legend would cost ~10 ms per frame).
        n_features = len(VALUE_FEATURES)
        width = 0.8 / (S + 1)
        self._key_values = self._values.bar(  # all S * Dv bars in one call: ~2 ms less per key
            [f + (i - S / 2) * width for i in range(S) for f in range(n_features)],
            values.flatten().tolist(),  # (S, Dv) -> (S * Dv,), key-major like the positions
            width=width,
            color=[colour for colour in self._colours for _ in range(n_features)],
        )
        self._mix = self._values.bar(
            [f + S / 2 * width for f in range(n_features)],
            [0.0] * n_features,
            width=width,
            color=_QUERY_COLOUR,
        )
        self._mix_labels = self._values.bar_label(self._mix, fmt="%.2f", padding=2, fontsize=8)
        self._values.set_xticks(range(n_features), VALUE_FEATURES)
        self._values.set_ylim(0, 1.15)
        self._values.set_yticks([0, 0.5, 1])
        self._values.set_xlabel("value feature (Dv = 3)")
        self._values.set_ylabel("value")
        self._values.set_title("keys' values and the retrieved mix (black)")
        pin_titles(self._plane, self._weights, self._values)

    def show(self, angle: float, temperature: float) -> None:
        keys, values, _ = toy_keys_values()
        query = query_at_angle(angle)  # (E,)
        output, weights = soft_lookup(query, keys, values, temperature)  # (Dv,), (S,)
        move_arrows(self._query, [self._query_name], [query.tolist()])
        self._plane.set_title(f"query at {angle:g}° among the keys")
        self._weights.set_title(f"weights = softmax(k·q / (√d_k·{temperature:g}))")
        self._weight_labels = set_bar_heights(
            self._weights, self._weight_bars, weights.tolist(), self._weight_labels
        )
        n_features = len(VALUE_FEATURES)
        for index, bar in enumerate(self._key_values):
            alpha = 0.2 + 0.8 * weights[index // n_features].item()
            bar.set_facecolor(to_rgba(self._colours[index // n_features], alpha=alpha))
        self._mix_labels = set_bar_heights(
            self._values, self._mix, output.tolist(), self._mix_labels
        )


def draw_query_lookup(angle: float = 45, temperature: float = 1.0) -> Figure:
    """Chapter 1's figure: the toy keys and a query in the plane, the weights, the mixed value.

    Pure function of (angle in degrees, temperature); uses ``retrieval.soft_lookup``.
    """
    fig = _LookupFigure()
    fig.show(angle, temperature)
    return fig


def _describe_query_lookup(angle: float, temperature: float) -> str:
    keys, values, labels = toy_keys_values()
    output, weights = soft_lookup(query_at_angle(angle), keys, values, temperature)
    w = ", ".join(
        f"{name} {weight:.2f}" for name, weight in zip(labels, weights.tolist(), strict=True)
    )
    v = ", ".join(
        f"{name} {x:.2f}" for name, x in zip(VALUE_FEATURES, output.tolist(), strict=True)
    )
    return (
        f"A query at {angle:g} degrees among the keys cat, dog, car and tree, temperature "
        f"{temperature:g}. Attention weights: {w}. Retrieved value: {v}."
    )


def query_explorer(
    angles: Sequence[float] = tuple(range(0, 360, 15)),
    temperatures: Sequence[float] = (0.25, 0.5, 1.0, 2.0),
    *,
    angle: float = 45,
    temperature: float = 1.0,
) -> Explorer:
    """Chapter 1's explorer: turn a query among the toy keys and watch the soft lookup.

    Controls: the query's direction (``angles``, degrees; default 24 steps of 15°) and the
    softmax temperature (``temperatures``); ``angle`` and ``temperature`` are the defaults.
    Shows the keys and the query in the plane, the weights over the keys, and the retrieved
    value against the individual values.
    """
    controls = (
        Slider("angle", "query direction", tuple(angles), default=angle, fmt="{:g}°"),
        Dropdown(
            "temperature", "temperature", tuple(temperatures), default=temperature, fmt="{:g}"
        ),
    )
    return Explorer(
        draw_query_lookup,
        controls,
        build=_LookupFigure,
        update=_LookupFigure.show,
        title="Soft lookup: a query among the keys",
        alt=_describe_query_lookup,
        caption=(
            "Turn the query: the weights move to the keys it points towards and the retrieved "
            "value (black) becomes the mix of their values. On the right each key's value is "
            "drawn in the key's colour, more opaque the more weight it gets. A lower "
            "temperature makes the lookup closer to an exact one."
        ),
    )
