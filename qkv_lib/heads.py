"""Splitting the projected embedding into heads and merging the heads back.

Taught in chapter 5 (multi-head attention). The Q projection maps E to E (= H · Dh);
splitting is a reshape *and* a transpose: those E columns are cut into H slices of
Dh = E / H, then the head axis is moved in front of the sequence axis so that every head
attends independently. Each head dots vectors of width Dh, so its d_k is Dh.
"""

from __future__ import annotations

from torch import Tensor

from . import _validate

__all__ = ["merge_heads", "split_heads"]


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """``(B, T, E) -> (B, H, T, Dh)`` with ``Dh = E / H``.

    Head ``h`` gets the columns ``h*Dh`` to ``(h+1)*Dh - 1`` of the last axis. For
    ``x = Q = X @ W_q`` these come from the columns ``h*Dh`` to ``(h+1)*Dh - 1`` of W_q
    (E, E), which are rows of ``q_proj.weight`` (nn.Linear stores W_qᵀ).
    """
    x = _validate.tensor("x", x, min_ndim=2, floating=False)
    num_heads = _validate.positive_int("num_heads", num_heads)
    E = x.size(-1)
    if E % num_heads:
        raise ValueError(
            f"the last dimension of x (E = {E}, shape {_validate.shape_of(x)}) must be "
            f"divisible by num_heads = {num_heads}"
        )
    x = x.unflatten(-1, (num_heads, E // num_heads))  # (B, T, H, Dh)
    return x.transpose(-3, -2)  # (B, H, T, Dh)


def merge_heads(x: Tensor) -> Tensor:
    """``(B, H, T, Dh) -> (B, T, H*Dh)``: the inverse of :func:`split_heads`."""
    x = _validate.tensor("x", x, min_ndim=3, floating=False)
    x = x.transpose(-3, -2)  # (B, T, H, Dh)
    return x.flatten(-2)  # (B, T, H*Dh)
