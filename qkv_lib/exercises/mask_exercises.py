"""The exercise on attention under a mask: ``masked_attention``.

Set in chapter 4 (the simple attention flow): a bool mask, True = may attend, hides keys
from queries before the softmax, and a query whose keys are all masked gets a zero output
(§4.7). The checker's mask mixes a causal-like pattern, a padding-like one and a fully
masked query.
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import Tensor

from .attention_exercises import SCALES, SIZES, qkv_tensors
from .inputs import Inputs
from .spec import Exercise, Mistake, ScoreScale


def _mask() -> Tensor:
    T, S = SIZES["T"], SIZES["S"]
    query = torch.arange(T).unsqueeze(-1)  # (T, 1)
    key = torch.arange(S)  # (S,)
    causal = key <= query + (S - T)  # (T, S): query i sees the keys up to i + S - T
    padding = (key < S - 2).expand(T, S).clone()  # (T, S): the last two keys are padding
    padding[-1] = False  # the last query is padding too: it may attend to nothing
    return torch.stack([causal, padding])  # (B, T, S) with B = 2, True = may attend


def _mask_inputs() -> Inputs:
    return Inputs((*qkv_tensors(), _mask()), ("Q", "K", "V", "mask"), SIZES)


def _masked(
    Q, K, V, mask, *, scale="sqrt", fill=float("-inf"), invert=False, after=False, factor=None
):
    allowed = ~mask if invert else mask
    scale_by = SCALES[scale](Q.shape[-1]) if factor is None else factor
    scores = Q @ K.transpose(-2, -1) * scale_by  # (B, T, S)
    if after:  # the mistake: hide the keys after the softmax, without renormalising
        weights = torch.softmax(scores, dim=-1).masked_fill(~allowed, 0.0)
    else:
        weights = torch.softmax(scores.masked_fill(~allowed, fill), dim=-1)
        if math.isinf(fill):
            weights = weights.nan_to_num(0.0)  # a fully masked query: 0 / 0 = NaN -> 0
    return weights @ V  # (B, T, Dv)


_INVERTED = (
    "True and False are swapped: True in the mask marks a key the query may attend to, so "
    "hide the keys where the mask is False (`~mask`), not where it is True."
)
_AFTER = (
    "You zeroed the masked weights after the softmax, so the remaining weights no longer sum "
    "to 1. Hide the keys before the softmax: set their scores to -inf, then take the softmax."
)
_ZERO_FILL = (
    "You set the masked scores to 0, but a score of 0 still gets a weight after the softmax "
    "(exp(0) = 1). Set them to -inf, which the softmax turns into a weight of exactly 0."
)
_ROW_NOT_ZERO = (
    "A query whose keys are all masked must get a zero output (chapter 4, §4.7). A large "
    "negative fill such as -1e9 gives such a query equal weights over all its keys instead: "
    "fill with -inf and set the weights of a fully masked query to 0."
)
_MISSING_SCALE = (
    "The scores are not scaled: divide Q Kᵀ by √d_k (`/ math.sqrt(Q.shape[-1])`) before "
    "masking and the softmax."
)


def _mask_hint(got: Tensor, want: Tensor, inputs: Inputs) -> str:
    """Points at the fully masked query when that is where the answer goes wrong."""
    mask = inputs.args[-1]
    if got.shape != want.shape or not isinstance(mask, Tensor):
        return ""
    blocked = ~mask.bool().expand(*want.shape[:-1], mask.shape[-1]).any(-1)  # (B, T)
    if not blocked.any():
        return ""
    b, q = (int(i) for i in blocked.nonzero()[0])
    where = f"Query {q} of batch {b} has every key masked"
    rows = got[blocked]  # (number of fully masked queries, Dv)
    if not torch.isfinite(got).all():
        if torch.isfinite(got[~blocked]).all():  # only the fully masked queries are NaN
            return (
                f"{where}: a softmax over a row of only -inf is 0 / 0 = NaN. Such a query must "
                "get a zero output (§4.7): set its weights to 0, or use `qkv.masked_softmax`."
            )
        return ""
    if rows.is_floating_point() and rows.abs().max() > 0:
        return f"{where}: its output must be zero (§4.7), and yours is not."
    return ""


MASKED_ATTENTION = Exercise(
    id="masked_attention",
    chapter=4,
    title="Attention under a mask",
    points=2,
    minutes=15,
    difficulty="medium",
    signature="fn(Q, K, V, mask) -> output",
    reference=_masked,
    inputs=_mask_inputs,
    outputs=(("B", "T", "Dv"),),
    mistakes=(
        Mistake("mask-inverted", _INVERTED, partial(_masked, invert=True)),
        Mistake("mask-after-softmax", _AFTER, partial(_masked, after=True)),
        Mistake("mask-fill-zero", _ZERO_FILL, partial(_masked, fill=0.0)),
        Mistake("masked-row-not-zero", _ROW_NOT_ZERO, partial(_masked, fill=-1e9)),
        Mistake("missing-scale", _MISSING_SCALE, partial(_masked, scale="none")),
    ),
    hint=_mask_hint,
    score_scale=ScoreScale("d_k", _masked),
)
