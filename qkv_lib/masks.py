"""Attention masks and the two boolean conventions of PyTorch's attention APIs.

Taught in chapter 4 (the simple attention flow) and chapter 6 (common confusions).

PyTorch uses opposite meanings for a boolean mask:

* ``torch.nn.functional.scaled_dot_product_attention`` and
  :func:`qkv_lib.scaled_dot_product_attention`:
  ``True`` means the query **may attend** to that key.
* ``torch.nn.MultiheadAttention`` (and :class:`qkv_lib.MultiHeadAttention`), for both
  ``attn_mask`` and ``key_padding_mask``: ``True`` means the query **may not attend**.

A floating-point mask means the same in both: it is added to the scores, so ``0`` keeps
a key and ``-inf`` removes it. The converters below turn one convention into the other.
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import _validate

__all__ = [
    "additive_mask",
    "causal_mask",
    "key_padding_mask",
    "mha_mask_from_sdpa",
    "sdpa_mask_from_mha",
]


def causal_mask(
    L: int, S: int | None = None, *, device: torch.device | str | None = None
) -> Tensor:
    """Boolean ``(L, S)`` mask, ``True`` where query ``i`` may attend to key ``j`` (``j <= i``).

    ``S`` defaults to ``L``. For ``L != S`` the triangle is aligned to the top-left corner,
    as in ``scaled_dot_product_attention(..., is_causal=True)``.
    """
    L = _validate.positive_int("L", L)
    S = L if S is None else _validate.positive_int("S", S)
    return torch.ones(L, S, dtype=torch.bool, device=device).tril()  # (L, S)


def key_padding_mask(lengths: Tensor | list[int], S: int) -> Tensor:
    """Boolean ``(B, S)`` mask for ``MultiHeadAttention(key_padding_mask=...)``.

    ``lengths[b]`` is the number of real (non-padding) keys in sequence ``b``. Following
    ``torch.nn.MultiheadAttention``, ``True`` marks a padding position that may **not** be
    attended to.
    """
    S = _validate.positive_int("S", S)
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise ValueError(
            f"lengths must be a 1-D sequence of integers, got dtype {lengths.dtype} "
            f"with shape {_validate.shape_of(lengths)}"
        )
    if (lengths < 0).any() or (lengths > S).any():
        raise ValueError(f"every length must be between 0 and S = {S}, got {lengths.tolist()}")
    positions = torch.arange(S, device=lengths.device)  # (S,)
    return positions[None, :] >= lengths[:, None]  # (B, S)


def sdpa_mask_from_mha(mask: Tensor) -> Tensor:
    """Convert a ``MultiheadAttention`` mask (``True`` = may not attend) to the SDPA convention.

    A boolean mask is negated; a floating-point (additive) mask is returned unchanged,
    because it means the same thing in both APIs.
    """
    mask = _validate.tensor("mask", mask, floating=False)
    return ~mask if mask.dtype == torch.bool else mask


def mha_mask_from_sdpa(mask: Tensor) -> Tensor:
    """Convert an SDPA mask (``True`` = may attend) to the ``MultiheadAttention`` convention."""
    mask = _validate.tensor("mask", mask, floating=False)
    return ~mask if mask.dtype == torch.bool else mask


def additive_mask(may_attend: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """Turn a boolean SDPA-convention mask into an additive one (``0`` kept, ``-inf`` removed).

    A floating-point mask is already additive and is only cast to ``dtype``.
    """
    may_attend = _validate.tensor("may_attend", may_attend, floating=False)
    if may_attend.dtype != torch.bool:
        if not may_attend.is_floating_point():
            raise TypeError(f"may_attend must be bool or floating point, got {may_attend.dtype}")
        return may_attend.to(dtype)
    zeros = torch.zeros(may_attend.shape, dtype=dtype, device=may_attend.device)
    return zeros.masked_fill(~may_attend, float("-inf"))
