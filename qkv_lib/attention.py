"""Scaled dot-product attention, written out step by step.

Taught in chapter 1 (a first look at the formula) and chapter 4 (the simple attention flow).

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V

The function follows ``torch.nn.functional.scaled_dot_product_attention`` (its mask
convention included: in a boolean mask ``True`` means *may attend*) and also returns the
weights. Shapes use the course's letters: T queries, S keys, d_k (``Dk``) the width of a
query and a key, Dv the width of a value; PyTorch's documentation writes L for T.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from . import _validate
from .masks import causal_mask

__all__ = ["masked_softmax", "scaled_dot_product_attention"]


def masked_softmax(scores: Tensor, dim: int = -1) -> Tensor:
    """Softmax over ``dim`` that gives all-zero weights where every score is ``-inf``.

    A query whose keys are all masked out has nothing to attend to. A plain softmax would
    compute 0 / 0 and return NaN, which then spreads through every later layer and the
    gradients; here such a query gets zero weights, so its output is the zero vector.
    This is what ``torch.nn.functional.scaled_dot_product_attention`` does too.
    """
    scores = _validate.tensor("scores", scores, min_ndim=1)
    dim = _validate.axis("dim", scores, dim)
    blocked = torch.isneginf(scores).all(dim=dim, keepdim=True)  # (..., T, 1)
    if not blocked.any():  # every query may attend to some key: a plain softmax
        return torch.softmax(scores, dim=dim)
    weights = torch.softmax(scores.masked_fill(blocked, 0.0), dim=dim)  # finite gradients
    return weights.masked_fill(blocked, 0.0)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> tuple[Tensor, Tensor]:
    """Attend from every query to every key and mix the values.

    Shapes: ``query (..., T, Dk)``, ``key (..., S, Dk)``, ``value (..., S, Dv)`` give
    ``out (..., T, Dv)`` and ``weights (..., T, S)``; leading dimensions broadcast. The
    weights' leading dimensions are those of ``query`` and ``key`` broadcast together;
    ``value`` may add more, which only ``out`` then has.

    ``attn_mask`` must broadcast to ``(..., T, S)``. In a boolean mask ``True`` means *may
    attend*: the query may attend to that key. A float mask is added to the scores: ``0``
    keeps a key, ``-inf`` hides it. ``is_causal`` applies :func:`~qkv_lib.causal_mask`
    instead. ``scale`` defaults to ``1 / √d_k``, with d_k = ``query.shape[-1]``, the width
    of the vectors being dotted. A query whose keys are all masked gets zero weights and a
    zero output (see :func:`masked_softmax`).
    """
    _validate.attention_inputs(query, key, value, attn_mask, is_causal, scale)
    if is_causal:
        attn_mask = causal_mask(query.size(-2), key.size(-2), device=query.device)  # (T, S)
    if scale is None:
        scale = 1.0 / math.sqrt(query.size(-1))  # 1/√d_k

    # Scaling Q (T·Dk numbers) rather than the scores (T·S): same maths, less work if Dk < S.
    scores = (query * scale) @ key.transpose(-2, -1)  # (..., T, S)
    if attn_mask is None:
        # Without autograd the weights may overwrite the scores: one (T, S) tensor, not two.
        in_place = None if scores.requires_grad else scores
        weights = torch.softmax(scores, dim=-1, out=in_place)  # (..., T, S), rows sum to 1
    else:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))  # False: may not attend
        else:
            scores = scores + attn_mask.to(scores.dtype)  # 0 keeps a key, -inf hides it
        weights = masked_softmax(scores, dim=-1)  # (..., T, S), rows sum to 1 (or are all 0)
    out = weights @ value  # (..., T, Dv)
    return out, weights
