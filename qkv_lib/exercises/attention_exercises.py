"""Exercises on the attention computation itself: scores, weights, output and causal mask.

``scores``, ``attention_weights``, ``attention`` and ``causal_mask`` are set in chapter 4
(the simple attention flow); chapter 1's ``soft_lookup`` reuses the scales and texts below.
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import Tensor

from .inputs import Inputs
from .spec import Exercise, Mistake, ScoreScale

SIZES = {"B": 2, "T": 3, "S": 5, "d_k": 8, "Dv": 6}  # every size distinct, no square matrix
SCALES = {
    "sqrt": lambda d: 1 / math.sqrt(d),
    "none": lambda d: 1.0,
    "d_k": lambda d: 1 / d,
    "times": lambda d: math.sqrt(d),
}


def qkv_tensors(T: int = SIZES["T"], seed: int = 2024) -> tuple[Tensor, Tensor, Tensor]:
    """Fixed float64 Q (B, T, d_k), K (B, S, d_k), V (B, S, Dv): the chapter 4 checkers' inputs."""
    g = torch.Generator().manual_seed(seed)
    B, S, d_k, Dv = SIZES["B"], SIZES["S"], SIZES["d_k"], SIZES["Dv"]
    Q = torch.randn(B, T, d_k, generator=g, dtype=torch.float64)
    K = torch.randn(B, S, d_k, generator=g, dtype=torch.float64)
    V = torch.randn(B, S, Dv, generator=g, dtype=torch.float64)
    return Q, K, V


def _inputs(names: tuple[str, ...], T: int = SIZES["T"]) -> Inputs:
    tensors = dict(zip(("Q", "K", "V"), qkv_tensors(T), strict=True))
    sizes = SIZES if T == SIZES["T"] else {k: v for k, v in SIZES.items() if k != "T"}
    return Inputs(tuple(tensors[n] for n in names), names, sizes)


# --- the computation with one deliberate error at a time -----------------------------------


def _scores(
    Q: Tensor, K: Tensor, *, scale: str = "sqrt", transpose: bool = False, factor=None
) -> Tensor:
    d_k = Q.shape[-1]
    raw = K @ Q.transpose(-2, -1) if transpose else Q @ K.transpose(-2, -1)  # (B, T, S)
    return raw * (SCALES[scale](d_k) if factor is None else factor)


def _weights(Q: Tensor, K: Tensor, *, dim: int = -1, softmax: bool = True, **scores) -> Tensor:
    s = _scores(Q, K, **scores)
    return torch.softmax(s, dim=dim) if softmax else s  # (B, T, S)


def _attention(Q: Tensor, K: Tensor, V: Tensor, **weights) -> Tensor:
    return _weights(Q, K, **weights) @ V  # (B, T, Dv)


_MISSING_SCALE = (
    "The scores are not scaled: divide Q Kᵀ by √d_k, the square root of the last axis of Q "
    "and K (`/ math.sqrt(Q.shape[-1])`)."
)
OVER_D_K = "You divided by d_k; divide by its square root, √d_k, instead."
TIMES = "You multiplied by √d_k; attention divides the scores by √d_k."
_TRANSPOSED = (
    "You computed K Qᵀ, with one row per key. Compute Q Kᵀ (`Q @ K.transpose(-2, -1)`), so "
    "that row i holds query i's scores over all the keys: shape (B, T, S)."
)
_WRONG_AXIS = (
    "Your softmax runs over the wrong axis ({axis}). Each query's weights over the keys must "
    "sum to 1, so take the softmax over the last axis, S: `dim=-1`."
)
_NO_SOFTMAX = (
    "These are the scaled scores, not weights: apply a softmax over the keys (`dim=-1`) so "
    "that each row is non-negative and sums to 1."
)


def _score_mistakes(make) -> tuple[Mistake, ...]:
    return (
        Mistake("missing-scale", _MISSING_SCALE, make(scale="none")),
        Mistake("wrong-scale", OVER_D_K, make(scale="d_k")),
        Mistake("wrong-scale", TIMES, make(scale="times")),
        Mistake("transposed-scores", _TRANSPOSED, make(transpose=True)),
    )


def _softmax_mistakes(make) -> tuple[Mistake, ...]:
    return (
        Mistake("softmax-wrong-axis", _WRONG_AXIS.format(axis="the queries, T"), make(dim=-2)),
        Mistake("softmax-wrong-axis", _WRONG_AXIS.format(axis="the batch, B"), make(dim=0)),
        Mistake("missing-softmax", _NO_SOFTMAX, make(softmax=False)),
        Mistake(
            "missing-softmax",
            "Apply a softmax over the keys (`dim=-1`) to the scaled scores; yours are raw Q Kᵀ.",
            make(softmax=False, scale="none"),
        ),
    )


def _attention_hint(got: Tensor, want: Tensor, inputs: Inputs) -> str:
    B, T, S = SIZES["B"], want.shape[-2], SIZES["S"]
    if tuple(got.shape) == (B, T, S):
        return "That is the shape of the attention weights: multiply them by V."
    return ""


def _weights_hint(got: Tensor, want: Tensor, inputs: Inputs) -> str:
    if got.shape != want.shape or not got.is_floating_point() or not got.isfinite().all():
        return ""
    sums = got.double().sum(-1)
    if (got < 0).any():
        return "Some weights are negative; a softmax never gives negative weights."
    if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
        low, high = float(sums.min()), float(sums.max())
        return f"Each row should sum to 1; yours sum to values from {low:.3g} to {high:.3g}."
    return ""


SCORES = Exercise(
    id="scores",
    chapter=4,
    title="Scaled scores Q Kᵀ / √d_k",
    points=1,
    minutes=5,
    difficulty="easy",
    signature="fn(Q, K) -> scores",
    reference=_scores,
    inputs=partial(_inputs, ("Q", "K")),
    outputs=(("B", "T", "S"),),
    mistakes=_score_mistakes(lambda **kw: partial(_scores, **kw)),
    score_scale=ScoreScale("d_k", _scores, linear=True),
)

ATTENTION_WEIGHTS = Exercise(
    id="attention_weights",
    chapter=4,
    title="Attention weights: softmax over the keys",
    points=1,
    minutes=5,
    difficulty="easy",
    signature="fn(Q, K) -> weights",
    reference=_weights,
    inputs=partial(_inputs, ("Q", "K")),
    outputs=(("B", "T", "S"),),
    mistakes=_score_mistakes(lambda **kw: partial(_weights, **kw))
    + _softmax_mistakes(lambda **kw: partial(_weights, **kw)),
    hint=_weights_hint,
    score_scale=ScoreScale("d_k", _weights),
)

ATTENTION = Exercise(
    id="attention",
    chapter=4,
    title="Scaled dot-product attention",
    points=2,
    minutes=10,
    difficulty="medium",
    signature="fn(Q, K, V) -> output",
    reference=_attention,
    inputs=partial(_inputs, ("Q", "K", "V")),
    outputs=(("B", "T", "Dv"),),
    mistakes=_score_mistakes(lambda **kw: partial(_attention, **kw))
    + _softmax_mistakes(lambda **kw: partial(_attention, **kw)),
    probe=partial(_inputs, ("Q", "K", "V"), T=SIZES["S"]),  # K Qᵀ @ V only runs when T == S
    hint=_attention_hint,
    score_scale=ScoreScale("d_k", _attention),
)


# --- causal mask ---------------------------------------------------------------------------


def _causal(T: int, *, diagonal: int = 0, flip: bool = False, invert: bool = False) -> Tensor:
    ones = torch.ones(T, T, dtype=torch.bool)
    mask = ones.triu(diagonal) if flip else ones.tril(diagonal)  # (T, T)
    return ~mask if invert else mask


CAUSAL_MASK = Exercise(
    id="causal_mask",
    chapter=4,
    title="A causal mask",
    points=1,
    minutes=5,
    difficulty="easy",
    signature="fn(T) -> mask",
    reference=_causal,
    inputs=lambda: Inputs((6,), ("T",), {"T": 6}),
    outputs=(("T", "T"),),
    dtype="bool",
    mistakes=(
        Mistake(
            "mask-inverted",
            "True and False are swapped: True must mark what a query may attend to, i.e. the "
            "diagonal and everything below it (`torch.tril`).",
            partial(_causal, invert=True),
        ),
        Mistake(
            "mask-inverted",
            "The triangle is flipped: position i may attend to j <= i, which is on and below the "
            "diagonal (`torch.tril`), not above it.",
            partial(_causal, flip=True),
        ),
        Mistake(
            "mask-diagonal",
            "The diagonal is masked out, so no position may attend to itself. Keep the "
            "diagonal: `torch.ones(T, T, dtype=torch.bool).tril()` (diagonal=0).",
            partial(_causal, diagonal=-1),
        ),
    ),
)
