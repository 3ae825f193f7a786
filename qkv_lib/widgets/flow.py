"""Chapter 4's explorer: step through one attention computation, from scores to output.

Taught in chapter 4, the simple attention flow. The numbers are those of
:mod:`qkv_lib.examples.flow`; this module explains and draws each step.
Shapes: T queries, S keys (T = S = 4 here), d_k the width of a query and a key (4),
Dv value dim (2).
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from ..examples.flow import MASKS, STEPS, TOKENS, flow_example, flow_steps
from ..plotting import OKABE_ITO, attention_heatmap, score_heatmap
from .controls import Dropdown, Slider
from .explorer import Explorer

__all__ = ["draw_flow_step", "explain_step", "flow_explorer"]

_TITLES = {
    "scores": "scores Q Kᵀ",
    "scaled": "scaled scores Q Kᵀ / √d_k",
    "masked": "masked scores",
    "weights": "weights = softmax over the keys",
    "output": "output = weights @ V",
}


def _title(step: str, scaling: bool) -> str:
    if step == "scaled" and not scaling:
        return "scores Q Kᵀ, not scaled"
    return _TITLES[step]


def explain_step(step: str, scaling: bool = True, mask: str = "none") -> str:
    """The one-line explanation the explorer prints under the figure."""
    d_k = flow_example()[0].shape[-1]
    if step == "scores":
        return "Step 1: every query's dot product with every key. Scores can be any real number."
    if step == "scaled":
        if scaling:
            return (
                f"Step 2: divide by √d_k = √{d_k} = {math.sqrt(d_k):g}, so the spread of the "
                "scores no longer grows with d_k."
            )
        return (
            "Step 2 skipped: scaling is off, the scores are unchanged (the softmax gets sharper)."
        )
    if step == "masked":
        if mask == "none":
            return "Step 3: no mask: every query may attend to every key, nothing changes."
        if mask == "causal":
            return "Step 3: causal mask: a later key's score (key after query) becomes −∞."
        return "Step 3: padding mask: the <pad> key's score becomes −∞ for every query."
    if step == "weights":
        return "Step 4: softmax over the keys: each row is non-negative and sums to 1; −∞ gives 0."
    if step == "output":
        return (
            "Step 5: each query's output is a mix of the value rows, in the weights' proportions."
        )
    raise ValueError(f"step must be one of {STEPS}; got {step!r}")


def draw_flow_step(step: str = "scores", scaling: bool = True, mask: str = "none") -> Figure:
    """Chapter 4's figure: the matrix at one step of the flow, as an annotated heatmap.

    Pure function of (step, scaling, mask). Scores use a diverging colour map with a fixed
    symmetric range (the largest unscaled |score|), so scaling visibly shrinks them; the
    weights use the course's 0..1 attention heatmap.
    """
    steps = flow_steps(scaling, mask)
    _, _, V = flow_example()
    fig = Figure(figsize=(7.2, 4.6), layout="none")
    ax = fig.subplots()
    fig.subplots_adjust(left=0.14, right=0.93, bottom=0.2, top=0.8)
    labels = list(TOKENS)
    title = f"{_title(step, scaling)}   (scaling {'on' if scaling else 'off'}, mask: {mask})"

    if step == "weights":
        attention_heatmap(
            steps["weights"], ax=ax, query_labels=labels, key_labels=labels, title=title
        )
        colour_range = "fixed 0 to 1"
    elif step == "output":
        limit = float(V.abs().max())
        score_heatmap(
            steps["output"],
            ax=ax,
            query_labels=labels,
            key_labels=[f"v{j}" for j in range(V.shape[-1])],
            title=title,
            limit=limit,
            label="output value (not a weight)",
        )
        ax.set_xlabel("value feature (Dv)")
        colour_range = f"fixed ±{limit:g}"
    else:
        limit = float(steps["scores"].abs().max())  # the largest unscaled score, every frame
        score_heatmap(
            steps[step],
            ax=ax,
            query_labels=labels,
            key_labels=labels,
            title=title,
            limit=limit,
            label="score (not a weight)",
        )
        colour_range = f"fixed ±{limit:g}"
    colour_bar = fig.axes[-1]
    colour_bar.set_xlabel(colour_range, fontsize=8)  # the range never changes between frames

    # A strip of the five steps at the top, the current one highlighted.
    for index, name in enumerate(STEPS):
        current = name == step
        fig.text(
            0.1 + 0.19 * index,
            0.93,
            f"{index + 1} {name}",
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold" if current else "normal",
            color=OKABE_ITO["blue"] if current else "0.45",
        )
        if index:
            fig.text(0.005 + 0.19 * index, 0.93, "→", ha="center", va="center", color="0.45")
    fig.text(0.5, 0.05, explain_step(step, scaling, mask), ha="center", va="center", fontsize=9.5)
    return fig


def _describe_flow_step(step: str, scaling: bool, mask: str) -> str:
    matrix = flow_steps(scaling, mask)[step]
    rows = "; ".join(
        f"query {token}: " + ", ".join("−∞" if math.isinf(x) else f"{x:.2f}" for x in row)
        for token, row in zip(TOKENS, matrix.tolist(), strict=True)
    )
    what = "value features" if step == "output" else f"keys {', '.join(TOKENS)}"
    return (
        f"Attention flow at step {STEPS.index(step) + 1} of 5, {_title(step, scaling)}, scaling "
        f"{'on' if scaling else 'off'}, mask {mask}. {explain_step(step, scaling, mask)} "
        f"Rows are queries, columns are {what}: {rows}."
    )


def flow_explorer(*, step: str = "scores", scaling: bool = True, mask: str = "none") -> Explorer:
    """Chapter 4's explorer: step through attention on a four-token example.

    Controls: the step (``STEPS``), scaling by 1/√d_k on or off, and the mask (``MASKS``):
    5 x 2 x 3 = 30 frames. ``step``, ``scaling`` and ``mask`` are the defaults.
    """
    controls = (
        Slider(
            "step",
            "step",
            STEPS,
            default=step,
            fmt=lambda s: f"{STEPS.index(s) + 1} {s}",
        ),
        Dropdown(
            "scaling",
            "scale by 1/√d_k",
            (True, False),
            default=scaling,
            fmt=lambda on: "on" if on else "off",
        ),
        Dropdown("mask", "mask", MASKS, default=mask),
    )
    return Explorer(
        draw_flow_step,
        controls,
        title="One attention step, from scores to output",
        alt=_describe_flow_step,
        caption=(
            "Move the step slider to follow the computation for the tokens 'the cat sat <pad>'. "
            "Scores are drawn blue (negative) to red (positive) on a fixed range, masked scores "
            "grey and marked −∞; weights are drawn on the course's 0 to 1 scale. Turn scaling "
            "off to see sharper weights, and choose a mask to see which keys each query loses."
        ),
    )
