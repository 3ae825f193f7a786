"""Chapter 1's explorer: turn a query among the toy keys and watch the soft lookup.

Taught in chapter 1, Q, K and V as retrieval. Shapes: S number of keys, E key dim (2 here,
so it can be drawn; here d_k = E, so the scale √d_k is √2), Dv value dim.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from ..examples.lookup_table import VALUE_FEATURES, query_at_angle, toy_keys_values
from ..plotting import CYCLE, OKABE_ITO, bar_weights, vectors_2d
from ..retrieval import soft_lookup
from .controls import Dropdown, Slider
from .explorer import Explorer

__all__ = ["draw_query_lookup", "query_explorer"]

_QUERY_COLOUR = OKABE_ITO["black"]


def draw_query_lookup(angle: float = 45, temperature: float = 1.0) -> Figure:
    """Chapter 1's figure: the toy keys and a query in the plane, the weights, the mixed value.

    Pure function of (angle in degrees, temperature); uses ``retrieval.soft_lookup``.
    """
    keys, values, labels = toy_keys_values()  # (S, E) = (4, 2), (S, Dv) = (4, 3)
    query = query_at_angle(angle)  # (E,)
    output, weights = soft_lookup(query, keys, values, temperature)  # (Dv,), (S,)
    colours = dict(zip(labels, CYCLE, strict=False))

    # A fixed layout (no layout engine): faster, and the panels never jump between frames.
    fig = Figure(figsize=(11.5, 3.7), layout="none")
    ax_plane, ax_weights, ax_values = fig.subplots(
        1,
        3,
        gridspec_kw={"width_ratios": [1.0, 1.0, 1.3], "wspace": 0.3},
    )
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.14, top=0.91)

    vectors_2d(
        {"keys": keys, "query": query},
        ax=ax_plane,
        labels={"keys": labels, "query": ["query"]},
        colors={"keys": [colours[name] for name in labels], "query": _QUERY_COLOUR},
        limit=3.0,
        legend=False,
        title=f"query at {angle:g}° among the keys",
    )
    # Ticks are the slowest part of a frame (~1.5 ms each); the plane needs none: its
    # scale is irrelevant here, the angle is in the title and every key has length 2.
    ax_plane.set_xticks([])
    ax_plane.set_yticks([])
    for side in ("left", "bottom"):
        ax_plane.spines[side].set_visible(False)  # the grey cross marks the origin instead

    bar_weights(
        weights,
        labels,
        ax=ax_weights,
        color=[colours[name] for name in labels],
        title=f"weights = softmax(k·q / (√d_k·{temperature:g}))",
    )
    ax_weights.set_yticks([0, 0.5, 1])

    # Each key's value in its key's colour, more opaque the more weight it gets, then the
    # retrieved mix in black. No legend: the colours are the keys' colours in the other panels
    # (and a legend would cost ~10 ms per frame).
    n_features, n_keys = len(VALUE_FEATURES), len(labels)
    width = 0.8 / (n_keys + 1)
    ax_values.bar(  # all S * Dv bars in one call: one call per key costs ~2 ms more each
        [f + (i - n_keys / 2) * width for i in range(n_keys) for f in range(n_features)],
        values.flatten().tolist(),  # (S, Dv) -> (S * Dv,), key-major like the positions
        width=width,
        color=[
            to_rgba(colours[name], alpha=0.2 + 0.8 * weights[i].item())
            for i, name in enumerate(labels)
            for _ in range(n_features)
        ],
    )
    mixed = ax_values.bar(
        [f + n_keys / 2 * width for f in range(n_features)],
        output.tolist(),
        width=width,
        color=_QUERY_COLOUR,
    )
    ax_values.bar_label(mixed, fmt="%.2f", padding=2, fontsize=8)
    ax_values.set_xticks(range(n_features), VALUE_FEATURES)
    ax_values.set_ylim(0, 1.15)
    ax_values.set_yticks([0, 0.5, 1])
    ax_values.set_xlabel("value feature (Dv = 3)")
    ax_values.set_ylabel("value")
    ax_values.set_title("keys' values and the retrieved mix (black)")
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
        title="Soft lookup: a query among the keys",
        alt=_describe_query_lookup,
        caption=(
            "Turn the query: the weights move to the keys it points towards and the retrieved "
            "value (black) becomes the mix of their values. On the right each key's value is "
            "drawn in the key's colour, more opaque the more weight it gets. A lower "
            "temperature makes the lookup closer to an exact one."
        ),
    )
