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
    query = _validate.tensor("query", query, min_ndim=2)
    key = _validate.tensor("key", key, min_ndim=2)
    value = _validate.tensor("value", value, min_ndim=2)
    _validate.same_dtype(query=query, key=key, value=value)
    q_shape, k_shape, v_shape = (_validate.shape_of(t) for t in (query, key, value))
    if query.size(-1) != key.size(-1):
        raise ValueError(
            f"query and key must have the same last dimension E to be compared, "
            f"got query {q_shape} and key {k_shape}"
        )
    if key.size(-2) != value.size(-2):
        raise ValueError(
            f"key and value must have the same number of positions S (dimension -2), "
            f"got key {k_shape} and value {v_shape}"
        )
    try:
        batch = torch.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"the leading (batch) dimensions of query {q_shape}, key {k_shape} and "
            f"value {v_shape} do not broadcast together"
        ) from None
    L, E, S = query.size(-2), query.size(-1), key.size(-2)
    if is_causal and attn_mask is not None:
        raise ValueError("give either attn_mask or is_causal=True, not both")
    if is_causal:
        attn_mask = causal_mask(L, S, device=query.device)
    if attn_mask is not None:
        _validate.mask("attn_mask", attn_mask, (*batch, L, S), describe="(..., L, S)")
    if scale is None:
        scale = 1.0 / math.sqrt(E)
    elif isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise TypeError(f"scale must be a number or None, got {type(scale).__name__}")

    scores = query @ key.transpose(-2, -1) * scale  # (..., L, S)
    if attn_mask is None:
        weights = torch.softmax(scores, dim=-1)  # (..., L, S), each row sums to 1
    else:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask.to(scores.dtype)
        weights = masked_softmax(scores, dim=-1)  # (..., L, S), rows sum to 1 (or are all 0)
    out = weights @ value  # (..., L, Dv)
    return out, weights
