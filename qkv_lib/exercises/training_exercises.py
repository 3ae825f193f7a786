"""The exercise on what training learns: ``matching_rule``, W_q W_kᵀ / √d_k from stored weights.

Set in chapter 7 (watch the projections learn, §7.6): the scores depend on W_q and W_k only
through the (E, E) matrix A = W_q W_kᵀ / √d_k, the matching rule, and a layer keeps its
projections as ``nn.Linear`` weights, which store W_q transposed: ``q_proj.weight`` is W_qᵀ,
(d_k, E). The checker's weights have d_k != E, so forgetting the stored transpose changes the
shape and √E differs from √d_k.
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import Tensor

from .inputs import Inputs
from .observation import MatmulRecord
from .spec import Exercise, Mistake, ScoreScale

SIZES = {"d_k": 4, "E": 6}  # every size distinct: no square weight
_SCALES = {
    "sqrt_d_k": lambda d_k, E: 1 / math.sqrt(d_k),
    "none": lambda d_k, E: 1.0,
    "sqrt_E": lambda d_k, E: 1 / math.sqrt(E),
    "d_k": lambda d_k, E: 1 / d_k,
}


def _inputs() -> Inputs:
    g = torch.Generator().manual_seed(7)
    shape = (SIZES["d_k"], SIZES["E"])
    q_weight = torch.randn(shape, generator=g, dtype=torch.float64)  # (d_k, E) = W_qᵀ
    k_weight = torch.randn(shape, generator=g, dtype=torch.float64)  # (d_k, E) = W_kᵀ
    return Inputs((q_weight, k_weight), ("q_weight", "k_weight"), SIZES)


def _rule(
    q_weight: Tensor,
    k_weight: Tensor,
    *,
    stored: bool = True,
    swap: bool = False,
    scale: str = "sqrt_d_k",
    factor: float | None = None,
) -> Tensor:
    d_k, E = q_weight.shape
    W_q, W_k = (q_weight.T, k_weight.T) if stored else (q_weight, k_weight)  # (E, d_k) each
    first, second = (W_k, W_q) if swap else (W_q, W_k)
    return first @ second.T * (_SCALES[scale](d_k, E) if factor is None else factor)  # (E, E)


_STORED = (
    "Your rule is (d_k, d_k), not (E, E): you used the stored weights as if they were W_q and "
    "W_k. nn.Linear stores the transpose: q_weight is W_qᵀ, shape (d_k, E), so W_q is "
    "q_weight.T, shape (E, d_k), and W_kᵀ is k_weight itself."
)
_SWAPPED = (
    "You computed W_k W_qᵀ, the transpose of the rule. The rule is W_q W_kᵀ: W_q comes first, "
    "so that entry [i, j] scores query direction i against key direction j. It is not "
    "symmetric in general (§7.6), so the order matters."
)
_MISSING_SCALE = (
    "The rule is not scaled: divide W_q W_kᵀ by √d_k, the width of a query and of a key, "
    "which is the number of rows of q_weight."
)
_OVER_E = (
    "You divided by √E, the width of the embeddings. The scale is 1/√d_k, with d_k the width "
    "of the vectors that are dotted, the queries and keys: the rows of q_weight, not its "
    "columns. (In chapter 7's one-head model d_k = E = 16, a coincidence.)"
)
_OVER_D_K = "You divided by d_k; divide by its square root, √d_k, instead."


def _failed_matmul(record: MatmulRecord, inputs: Inputs) -> Mistake | None:
    """``q_weight @ k_weight`` (or ``.T`` on both): two stored weights that cannot multiply."""
    d_k, E = SIZES["d_k"], SIZES["E"]
    if tuple(record.left) == tuple(record.right) and tuple(record.left) in ((d_k, E), (E, d_k)):
        return Mistake(
            "stored-transpose",
            "Two weights of the same shape cannot be multiplied as they are. q_weight and "
            "k_weight are nn.Linear's stored matrices, W_qᵀ and W_kᵀ, shape (d_k, E) each: W_q "
            "is q_weight.T, shape (E, d_k), and W_kᵀ is k_weight itself, shape (d_k, E).",
            partial(_rule, stored=False),
        )
    return None


def _rule_hint(got: Tensor, want: Tensor, inputs: Inputs) -> str:
    """Names a stored-transpose shape, and the transpose of the rule up to a factor.

    (A factor on the rule itself is the generic ``wrong-scale`` step's, which names it.)
    """
    d_k = SIZES["d_k"]
    if tuple(got.shape) == (d_k, d_k):
        return "That is the shape of q_weight @ k_weight.T: nn.Linear stores W_qᵀ, not W_q."
    if got.shape != want.shape or not got.is_floating_point() or not got.isfinite().all():
        return ""
    got, swapped = got.double(), want.T
    factor = float((got * swapped).sum() / (swapped * swapped).sum())
    if torch.allclose(got, factor * swapped, atol=1e-6):
        return (
            f"Yours is {factor:.3g} times the transpose of the rule: put W_q first, and check "
            "the scale, 1/√d_k."
        )
    return ""


MATCHING_RULE = Exercise(
    id="matching_rule",
    chapter=7,
    title="The matching rule W_q W_kᵀ / √d_k from nn.Linear's weights",
    points=2,
    minutes=10,
    difficulty="medium",
    signature="fn(q_weight, k_weight) -> rule",
    reference=_rule,
    inputs=_inputs,
    outputs=(("E", "E"),),
    mistakes=(
        Mistake("stored-transpose", _STORED, partial(_rule, stored=False)),
        Mistake("rule-transposed", _SWAPPED, partial(_rule, swap=True)),
        Mistake("missing-scale", _MISSING_SCALE, partial(_rule, scale="none")),
        Mistake("wrong-scale", _OVER_E, partial(_rule, scale="sqrt_E")),
        Mistake("wrong-scale", _OVER_D_K, partial(_rule, scale="d_k")),
    ),
    hint=_rule_hint,
    failed_matmul=_failed_matmul,
    score_scale=ScoreScale("d_k", _rule, linear=True, what="W_q W_kᵀ"),
)
