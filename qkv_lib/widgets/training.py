"""Chapter 7's explorer: step through a training run and watch one query learn where to look.

Taught in chapter 7, watch the projections learn. Every frame is drawn from the checkpoints
of the chapter's run (:func:`qkv_lib.training.chapter_run`, computed once per seed): a probe
example's attention over its pairs, the matching rule that W_q and W_k have learned so far,
and the loss and accuracy curves with the checkpoint marked.
Shapes: S pairs per example, P probe examples, n_keys key tokens.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from ..examples.lookup_task import LookupBatch
from ..plotting import CYCLE, bar_weights, score_heatmap, training_curves
from ..training import History, chapter_run
from .controls import Dropdown, Slider
from .explorer import Explorer

__all__ = [
    "draw_training_checkpoint",
    "pair_labels",
    "training_explorer",
]

_OTHER, _MATCH = CYCLE[0], CYCLE[1]  # blue bars; the pair whose key is the query in orange


def pair_labels(probe: LookupBatch, example: int) -> list[str]:
    """The S pairs of probe ``example`` as two-line labels, key over value: ``"k4\\nv7"``."""
    keys, values = probe.keys[example].tolist(), probe.values[example].tolist()
    return [f"k{k}\nv{v}" for k, v in zip(keys, values, strict=True)]


def _check_example(history: History, example: int) -> int:
    n = history.probe.batch_size
    if isinstance(example, bool) or not isinstance(example, int) or not 0 <= example < n:
        raise ValueError(f"example must be an int from 0 to {n - 1}; got {example!r}")
    return example


def draw_training_checkpoint(step: int = 0, example: int = 0, *, seed: int = 0) -> Figure:
    """Chapter 7's figure at checkpoint ``step`` for probe ``example`` of ``chapter_run(seed)``.

    Left: the query's attention weights over the S pairs (the pair whose key equals the query
    in orange). Middle: the matching rule, ``match_scores`` (n_keys, n_keys) of head 0, on a
    colour range fixed across checkpoints. Right: loss and accuracy per step, the checkpoint
    marked by a dashed line. A pure function of its arguments.
    """
    history = chapter_run(seed)
    if step not in history.weights:
        raise ValueError(f"step must be one of the checkpoints {history.checkpoints}; got {step!r}")
    example = _check_example(history, example)
    probe = history.probe
    weights = history.weights[step][example]  # (S,)
    position = probe.position[example].item()
    query, target = probe.query[example].item(), probe.target[example].item()
    predicted = history.predictions[step][example].item()
    limit = max(history.match[s][0].abs().max().item() for s in history.checkpoints)

    # A fixed layout (no layout engine): faster, and the panels never move between frames.
    fig = Figure(figsize=(10.0, 3.5), layout="none")
    ax_bars, ax_match, ax_loss = fig.subplots(
        1, 3, gridspec_kw={"width_ratios": [1.0, 0.85, 1.2], "wspace": 0.42}
    )
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.2, top=0.9)

    colours = [_MATCH if j == position else _OTHER for j in range(weights.shape[0])]
    verdict = "right" if predicted == target else "wrong"
    bar_weights(
        weights,
        pair_labels(probe, example),
        ax=ax_bars,
        color=colours,
        title=f"query k{query}: predicts v{predicted} ({verdict})",
    )
    ax_bars.set_xlabel("pair (key over value); orange: key = query")
    ax_bars.set_yticks([0, 0.5, 1])
    ax_bars.set_ylim(0, 1.12)  # room for the label of a bar at 1

    n_keys = history.match[step].shape[-1]
    score_heatmap(  # no colour bar and no ticks: each costs milliseconds per frame
        history.match[step][0],
        ax=ax_match,
        limit=limit,
        annotate=False,
        colorbar=False,
        title="matching rule: red = high score",
    )
    ax_match.set_xticks([])
    ax_match.set_yticks([])
    ax_match.set_xlabel(f"key token k0 … k{n_keys - 1} (left to right)")
    ax_match.set_ylabel(f"query token k0 … k{n_keys - 1} (top down)")

    training_curves(
        history.loss,
        ax=ax_loss,
        mark=step,
        loss_limit=2.5,
        title=f"loss; dashed: step {step} of {history.steps}",
    )
    ax_loss.set_xticks([0, 100, 200, 300])  # few ticks: each costs ~1.5 ms per frame
    ax_loss.set_yticks([0, 1, 2])
    return fig


def _describe(step: int, example: int, seed: int = 0) -> str:
    history = chapter_run(seed)
    probe = history.probe
    weights = history.weights[step][example].tolist()
    position = probe.position[example].item()
    query, target = probe.query[example].item(), probe.target[example].item()
    predicted = history.predictions[step][example].item()
    shares = ", ".join(
        f"k{k} {w:.2f}" for k, w in zip(probe.keys[example].tolist(), weights, strict=True)
    )
    match = history.match[step][0]  # (n_keys, n_keys)
    diagonal = int((match.argmax(dim=-1) == torch.arange(match.shape[0])).sum())
    loss = history.loss[min(step, history.steps - 1)].item()
    return (
        f"After {step} of {history.steps} training steps, probe example {example + 1}: the "
        f"query k{query} gives the pairs the weights {shares}. The pair with key k{query} "
        f"(holding v{target}) gets {weights[position]:.2f}. The model predicts v{predicted}, "
        f"which is {'right' if predicted == target else 'wrong'}. In the matching rule, "
        f"{diagonal} of {match.shape[0]} query tokens score their own key token highest. "
        f"Training loss at this step: {loss:.2f}."
    )


def training_explorer(seed: int = 0) -> Explorer:
    """Chapter 7's explorer: a slider over the training checkpoints, a menu of probe examples.

    Trains the chapter's run for ``seed`` the first time (about half a second; cached).
    """
    history = chapter_run(seed)
    probe = history.probe

    def example_text(i: int) -> str:
        return f"{i + 1}: query k{probe.query[i].item()} → v{probe.target[i].item()}"

    def draw(step: int, example: int) -> Figure:
        return draw_training_checkpoint(step, example, seed=seed)

    def alt(step: int, example: int) -> str:
        return _describe(step, example, seed)

    controls = (
        Slider("step", "training step", history.checkpoints),
        Dropdown("example", "probe example", tuple(range(probe.batch_size)), fmt=example_text),
    )
    return Explorer(
        draw,
        controls,
        title="Watch the projections learn: checkpoints of one training run",
        alt=alt,
        caption=(
            "Move the step slider through the training run. Left: how one probe query spreads "
            "its attention over the six pairs; the pair whose key equals the query is orange. "
            "Middle: the matching rule that W_q and W_k have learned so far, every key token "
            "as a query against every key token (red high, blue low); a red diagonal means "
            "each query finds its own key. Right: the loss on the training batches at every "
            "step; the dashed line marks the step shown."
        ),
    )
