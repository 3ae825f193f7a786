"""Attention masks and the two boolean conventions of PyTorch's attention APIs.

Taught in chapter 4 (the simple attention flow) and chapter 6 (common confusions).

PyTorch uses opposite meanings for a boolean mask:

* ``torch.nn.functional.scaled_dot_product_attention`` and
  :func:`qkv_lib.scaled_dot_product_attention`:
  ``True`` means the query **may attend** to that key.
* ``torch.nn.MultiheadAttention`` (and :class:`qkv_lib.MultiHeadAttention`), for both
  ``attn_mask`` and ``key_padding_mask``: ``True`` means the query **may not attend**.

A float mask means the same in both: it is added to the scores, so ``0`` keeps a key and
``-inf`` hides it. The converters below turn one boolean convention into the other.

Shapes: B batch, T query length, S key/value length.
"""

from __future__ import annotations

import reprlib

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
    T: int, S: int | None = None, *, device: torch.device | str | None = None
) -> Tensor:
    """Boolean ``(T, S)`` mask in the SDPA convention: ``True`` means *may attend*.

    Query ``i`` may attend to key ``j`` when ``j <= i``. ``S`` defaults to ``T``. For
    ``T != S`` the triangle is aligned to the top-left corner, as in
    ``scaled_dot_product_attention(..., is_causal=True)``.
    """
    T = _validate.positive_int("T", T)
    S = T if S is None else _validate.positive_int("S", S)
    return torch.ones(
        T, S, dtype=torch.bool, device=_validate.device("device", device)
    ).tril()  # (T, S)


def key_padding_mask(lengths: Tensor | list[int], S: int) -> Tensor:
    """Boolean ``(B, S)`` mask for ``MultiHeadAttention(key_padding_mask=...)``.

    ``lengths[b]`` is the number of real (non-padding) keys in sequence ``b``. Following
    ``torch.nn.MultiheadAttention``, ``True`` means padding: the query may **not** attend to
    that key.
    """
    S = _validate.positive_int("S", S)
    try:
        lengths = torch.as_tensor(lengths)
    except (TypeError, ValueError, RuntimeError):  # e.g. a string, None, [1, "a"]
        raise TypeError(
            f"lengths must be a 1-D sequence of integers, got {type(lengths).__name__} "
            f"{reprlib.repr(lengths)}"
        ) from None
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
    """Convert a ``MultiheadAttention`` mask to the SDPA convention.

    In the boolean mask given, ``True`` means *may not attend*; in the one returned,
    ``True`` means *may attend*: the mask is negated. A float mask (added to the scores:
    ``0`` keeps a key, ``-inf`` hides it) is returned unchanged, because it means the same
    thing in both APIs.
    """
    mask = _bool_or_float("mask", mask)
    return ~mask if mask.dtype == torch.bool else mask


def mha_mask_from_sdpa(mask: Tensor) -> Tensor:
    """Convert an SDPA mask to the ``MultiheadAttention`` convention.

    In the boolean mask given, ``True`` means *may attend*; in the one returned, ``True``
    means *may not attend*: the mask is negated. A float mask is returned unchanged.
    """
    mask = _bool_or_float("mask", mask)
    return ~mask if mask.dtype == torch.bool else mask


def additive_mask(may_attend: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """Turn a boolean SDPA-convention mask into a float mask added to the scores.

    In ``may_attend``, ``True`` means *may attend*. In the float mask returned, ``0`` keeps
    a key and ``-inf`` hides it. A float mask is already additive and is only cast to
    ``dtype``.
    """
    may_attend = _bool_or_float("may_attend", may_attend)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(
            f"dtype must be a floating-point torch.dtype such as torch.float32, got {dtype!r}"
        )
    if may_attend.dtype != torch.bool:
        return may_attend.to(dtype)
    zeros = torch.zeros(may_attend.shape, dtype=dtype, device=may_attend.device)
    return zeros.masked_fill(~may_attend, float("-inf"))


def _bool_or_float(name: str, mask: object) -> Tensor:
    """Check that ``mask`` is a boolean or floating-point tensor: the two kinds of mask."""
    mask = _validate.tensor(name, mask, floating=False)
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise TypeError(
            f"{name} must be a bool or floating-point tensor, got dtype {mask.dtype} with shape "
            f"{_validate.shape_of(mask)}; use a bool mask, or a float mask of 0 and -inf"
        )
    return mask
