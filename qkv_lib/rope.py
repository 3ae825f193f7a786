"""Rotary position embeddings (RoPE): rotate queries and keys by an angle set by the position.

Taught in chapter 8 (Q, K and V in today's models), following Su et al. (2021), *RoFormer*.
The features of a query or key are taken in pairs, and pair i of the vector at position m is
rotated by the angle m·θ_i, with θ_i = base^(−2i / Dk). A rotation keeps lengths, and the dot
product of a query rotated by m·θ and a key rotated by n·θ depends on the positions only
through n − m, so the scores see relative positions. Values are not rotated.

Pairing: the "rotate half" convention of GPT-NeoX and Llama: feature i pairs with feature
i + Dk/2 (not with its neighbour i + 1, as in the original paper's interleaved layout).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from . import _validate

__all__ = ["rotary"]


def rotary(x: Tensor, positions: Tensor | None = None, base: float = 10000.0) -> Tensor:
    """Rotate every query or key in ``x (..., T, Dk)`` by its position; returns ``(..., T, Dk)``.

    ``positions`` gives the position of each of the T vectors: an integer or floating tensor
    that broadcasts to ``x.shape[:-1]`` (usually ``(T,)``); the default is ``0, 1, ..., T-1``.
    ``Dk`` must be even: feature ``i`` and feature ``i + Dk/2`` form a pair, rotated by the
    angle ``position · base ** (-2i / Dk)``. Apply it to queries and keys, never to values.
    """
    x = _validate.tensor("x", x, min_ndim=2)
    T, Dk = x.size(-2), x.size(-1)
    if Dk % 2:
        raise ValueError(
            f"the last dimension of x (Dk = {Dk}, shape {_validate.shape_of(x)}) must be even: "
            "its features are rotated in pairs"
        )
    if isinstance(base, bool) or not isinstance(base, (int, float)):
        raise TypeError(f"base must be a number, got {type(base).__name__}")
    if not 1 < base < math.inf:
        raise ValueError(f"base must be a finite number greater than 1, got {base}")
    if positions is None:
        positions = torch.arange(T, device=x.device)  # (T,)
    else:
        positions = _positions(positions, x)

    half = Dk // 2
    freqs = base ** (-torch.arange(half, dtype=torch.float64, device=x.device) / half)  # (Dk/2,)
    angles = positions.to(torch.float64)[..., None] * freqs  # (..., T, Dk/2)
    angles = torch.cat([angles, angles], dim=-1)  # (..., T, Dk): pair i and i + Dk/2 share it
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    first, second = x[..., :half], x[..., half:]  # (..., T, Dk/2) each
    rotated_half = torch.cat([-second, first], dim=-1)  # (..., T, Dk): each pair turned by 90°
    return x * cos + rotated_half * sin  # (..., T, Dk)


def _positions(positions: object, x: Tensor) -> Tensor:
    """Check that ``positions`` is a real, non-bool tensor that broadcasts to ``x.shape[:-1]``."""
    if not isinstance(positions, Tensor):
        raise TypeError(f"positions must be a torch.Tensor or None, got {type(positions).__name__}")
    if positions.dtype == torch.bool or positions.is_complex():
        raise TypeError(f"positions must hold integers or real numbers, not {positions.dtype}")
    expected = tuple(x.shape[:-1])
    try:
        fits = torch.broadcast_shapes(positions.shape, expected) == torch.Size(expected)
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(
            f"positions must broadcast to x's shape without its last axis, (..., T) = "
            f"{expected}; got positions {_validate.shape_of(positions)} for x "
            f"{_validate.shape_of(x)}"
        )
    return positions
