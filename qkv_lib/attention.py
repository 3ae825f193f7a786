"""Scaled dot-product attention, written out step by step.

Taught in chapter 1 (a first look at the formula) and chapter 4 (the simple attention flow).

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V

The function follows ``torch.nn.functional.scaled_dot_product_attention`` (its mask
convention included: a boolean ``True`` means *may attend*) and also returns the weights.
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
    blocked = torch.isneginf(scores).all(dim=dim, keepdim=True)  # (..., L, 1)
    weights = torch.softmax(scores.masked_fill(blocked, 0.0), dim=dim)
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

    Shapes: ``query (..., L, E)``, ``key (..., S, E)``, ``value (..., S, Dv)`` give
    ``out (..., L, Dv)`` and ``weights (..., L, S)``; leading dimensions broadcast.

    ``attn_mask`` must broadcast to ``(..., L, S)``: a boolean mask keeps the keys marked
    ``True`` (*may attend*), a floating-point mask is added to the scores. ``is_causal``
    applies :func:`~qkv_lib.causal_mask` instead. ``scale`` defaults to ``1 / √E``.
    A query whose keys are all masked gets zero weights and a zero output
    (see :func:`masked_softmax`).
    """
    _validate.attention_inputs(query, key, value, attn_mask, is_causal, scale)
    L, S, E = query.size(-2), key.size(-2), query.size(-1)
    if is_causal:
        attn_mask = causal_mask(L, S, device=query.device)  # (L, S), True = may attend
    if scale is None:
        scale = 1.0 / math.sqrt(E)

    scores = query @ key.transpose(-2, -1) * scale  # (..., L, S)
    if attn_mask is None:
        weights = torch.softmax(scores, dim=-1)  # (..., L, S), each row sums to 1
    else:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))  # False: may not attend
        else:
            scores = scores + attn_mask.to(scores.dtype)  # 0 keeps a key, -inf removes it
        weights = masked_softmax(scores, dim=-1)  # (..., L, S), rows sum to 1 (or are all 0)
    out = weights @ value  # (..., L, Dv)
    return out, weights
