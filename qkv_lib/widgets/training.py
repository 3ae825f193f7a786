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
from ..plotting import CYCLE, bar_weights, score_heatmap, training_curves, update_heatmap
from ..training import History, chapter_run
from .controls import Dropdown, Slider
from .explorer import Explorer
from .redraw import crisp_cells, pin_titles, set_bar_heights

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


class _TrainingFigure(Figure):
    """Chapter 7's figure for ``chapter_run(seed)``, built once: the loss curve and the panels'
    fixed parts. ``show(step, example)`` redraws the bars, the matching rule, the mark on the
    loss curve and the titles."""

    def __init__(self, seed: int = 0) -> None:
        # A fixed layout (no layout engine): faster, and the panels never move between frames.
        super().__init__(figsize=(10.0, 3.5), layout="none")
        self._history = history = chapter_run(seed)
        self._bars, self._match, self._loss = self.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.0, 0.85, 1.2], "wspace": 0.42}
        )
        self.subplots_adjust(left=0.06, right=0.98, bottom=0.2, top=0.9)

        S = history.weights[0].shape[-1]
        bar_weights(torch.full((S,), 1 / S), [""] * S, ax=self._bars, color=_OTHER)
        self._bars.set_xlabel("pair (key over value); orange: key = query")
        self._bars.set_yticks([0, 0.5, 1])
        self._bars.set_ylim(0, 1.12)  # room for the label of a bar at 1
        self._bar_labels = list(self._bars.texts)

        # The colour range of the matching rule is the same at every checkpoint.
        limit = max(history.match[s][0].abs().max().item() for s in history.checkpoints)
        n_keys = history.match[0].shape[-1]
        score_heatmap(  # no colour bar and no ticks: each costs milliseconds per frame
            history.match[0][0],
            ax=self._match,
            limit=limit,
            annotate=False,
            colorbar=False,
            title="matching rule: red = high score",
        )
        self._match.set_xticks([])
        self._match.set_yticks([])
        self._match.set_xlabel(f"key token k0 … k{n_keys - 1} (left to right)")
        self._match.set_ylabel(f"query token k0 … k{n_keys - 1} (top down)")

        training_curves(history.loss, ax=self._loss, mark=0, loss_limit=2.5)
        self._mark = self._loss.lines[-1]  # the dashed line at the checkpoint
        self._loss.set_xticks([0, 100, 200, 300])  # few ticks: each costs ~1.5 ms per frame
        self._loss.set_yticks([0, 1, 2])
        pin_titles(self._bars, self._match, self._loss)
        crisp_cells(self._match)

    def show(self, step: int, example: int) -> None:
        history = self._history
        if step not in history.weights:
            raise ValueError(
                f"step must be one of the checkpoints {history.checkpoints}; got {step!r}"
            )
        example = _check_example(history, example)
        probe = history.probe
        weights = history.weights[step][example]  # (S,)
        position = probe.position[example].item()
        query, target = probe.query[example].item(), probe.target[example].item()
        predicted = history.predictions[step][example].item()

        verdict = "right" if predicted == target else "wrong"
        self._bars.set_title(f"query k{query}: predicts v{predicted} ({verdict})")
        self._bars.set_xticks(range(weights.shape[0]), pair_labels(probe, example))
        for j, bar in enumerate(self._bars.containers[0]):
            bar.set_facecolor(_MATCH if j == position else _OTHER)
        self._bar_labels = set_bar_heights(
            self._bars, self._bars.containers[0], weights.tolist(), self._bar_labels
        )

        update_heatmap(self._match, history.match[step][0])  # (n_keys, n_keys), head 0
        self._mark.set_xdata([step, step])
        self._loss.set_title(f"loss; dashed: step {step} of {history.steps}")


def draw_training_checkpoint(step: int = 0, example: int = 0, *, seed: int = 0) -> Figure:
    """Chapter 7's figure at checkpoint ``step`` for probe ``example`` of ``chapter_run(seed)``.

    Left: the query's attention weights over the S pairs (the pair whose key equals the query
    in orange). Middle: the matching rule, ``match_scores`` (n_keys, n_keys) of head 0, on a
    colour range fixed across checkpoints. Right: loss and accuracy per step, the checkpoint
    marked by a dashed line. A pure function of its arguments.
    """
    fig = _TrainingFigure(seed)
    fig.show(step, example)
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

    def build() -> Figure:
        return _TrainingFigure(seed)

    def alt(step: int, example: int) -> str:
        return _describe(step, example, seed)

    controls = (
        Slider("step", "training step", history.checkpoints),
        Dropdown("example", "probe example", tuple(range(probe.batch_size)), fmt=example_text),
    )
    return Explorer(
        draw,
        controls,
        build=build,
        update=_TrainingFigure.show,
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
