"""Chapter 4's explorer: step through one attention computation, from scores to output.

Taught in chapter 4, the simple attention flow. The numbers are those of
:mod:`qkv_lib.examples.flow`; this module explains and draws each step.
Shapes: T queries, S keys (T = S = 4 here), d_k the width of a query and a key (4),
Dv value dim (2).
"""

from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure

from ..examples.flow import MASKS, STEPS, TOKENS, flow_example, flow_steps
from ..plotting import (
    OKABE_ITO,
    WEIGHT_LABEL,
    attention_heatmap,
    score_heatmap,
    update_heatmap,
)
from .controls import Dropdown, Slider
from .explorer import Explorer
from .redraw import clear_heatmap, crisp_cells, pin_titles

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


class _FlowFigure(Figure):
    """Chapter 4's figure, built once: a heatmap with its colour bar, the strip of steps and a
    line of explanation. ``show(step, scaling, mask)`` puts the step's matrix in the heatmap
    (drawn anew only when the kind of matrix changes: scores, weights or output) and
    restyles the strip and the explanation."""

    def __init__(self) -> None:
        super().__init__(figsize=(7.2, 4.6), layout="none")
        self._ax = self.subplots()
        self.subplots_adjust(left=0.14, right=0.93, bottom=0.2, top=0.8)
        pin_titles(self._ax)
        # A first matrix only to make the colour bar; show() draws the real one.
        tokens = list(TOKENS)
        attention_heatmap(
            flow_steps()["weights"], ax=self._ax, query_labels=tokens, key_labels=tokens
        )
        self._colour_bar = self._ax.images[0].colorbar
        self._kind = ""  # the kind of matrix the heatmap shows: none yet
        # A strip of the five steps at the top (show() highlights the current one).
        self._strip = []
        for index, name in enumerate(STEPS):
            label = f"{index + 1} {name}"
            x = 0.1 + 0.19 * index
            self._strip.append(self.text(x, 0.93, label, ha="center", va="center", fontsize=10))
            if index:
                self.text(0.005 + 0.19 * index, 0.93, "→", ha="center", va="center", color="0.45")
        self._explanation = self.text(0.5, 0.05, "", ha="center", va="center", fontsize=9.5)

    def show(self, step: str, scaling: bool, mask: str) -> None:
        matrix = flow_steps(scaling, mask)[step]  # (T, S), or (T, Dv) for the output
        title = f"{_title(step, scaling)}   (scaling {'on' if scaling else 'off'}, mask: {mask})"
        kind = step if step in ("weights", "output") else "scores"
        if kind == self._kind:
            update_heatmap(self._ax, matrix)
            self._ax.set_title(title)
        else:
            self._draw_matrix(kind, matrix, title)
        for name, text in zip(STEPS, self._strip, strict=True):
            text.set_fontweight("bold" if name == step else "normal")
            text.set_color(OKABE_ITO["blue"] if name == step else "0.45")
        self._explanation.set_text(explain_step(step, scaling, mask))

    def _draw_matrix(self, kind: str, matrix: torch.Tensor, title: str) -> None:
        """Draw a heatmap of another kind on the Axes, and give the colour bar its range."""
        ax, tokens = self._ax, list(TOKENS)
        clear_heatmap(ax)
        if kind == "weights":
            attention_heatmap(
                matrix, ax=ax, query_labels=tokens, key_labels=tokens, title=title, colorbar=False
            )
            label, colour_range = WEIGHT_LABEL, "fixed 0 to 1"
        else:
            _, _, V = flow_example()
            output = kind == "output"
            # Fixed ranges: the largest |value| of V, or the largest unscaled score.
            limit = float(V.abs().max() if output else flow_steps()["scores"].abs().max())
            score_heatmap(
                matrix,
                ax=ax,
                query_labels=tokens,
                key_labels=[f"v{j}" for j in range(V.shape[-1])] if output else tokens,
                title=title,
                limit=limit,
                colorbar=False,
            )
            label = "output value (not a weight)" if output else "score (not a weight)"
            colour_range = f"fixed ±{limit:g}"
            if output:
                ax.set_xlabel("value feature (Dv)")
        crisp_cells(ax)
        self._colour_bar.update_normal(ax.images[0])
        self._colour_bar.set_label(label)
        self._colour_bar.ax.set_xlabel(colour_range, fontsize=8)  # the same in every frame
        self._kind = kind


def draw_flow_step(step: str = "scores", scaling: bool = True, mask: str = "none") -> Figure:
    """Chapter 4's figure: the matrix at one step of the flow, as an annotated heatmap.

    Pure function of (step, scaling, mask). Scores use a diverging colour map with a fixed
    symmetric range (the largest unscaled |score|), so scaling visibly shrinks them; the
    weights use the course's 0..1 attention heatmap.
    """
    fig = _FlowFigure()
    fig.show(step, scaling, mask)
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
        build=_FlowFigure,
        update=_FlowFigure.show,
        title="One attention step, from scores to output",
        alt=_describe_flow_step,
        caption=(
            "Move the step slider to follow the computation for the tokens 'the cat sat <pad>'. "
            "Scores are drawn blue (negative) to red (positive) on a fixed range, masked scores "
            "grey and marked −∞; weights are drawn on the course's 0 to 1 scale. Turn scaling "
            "off to see sharper weights, and choose a mask to see which keys each query loses."
        ),
    )
