"""The KV cache: the keys and values of the tokens decoded so far, kept for the next steps.

Taught in chapter 8 (Q, K and V in today's models). In causal decoding a past token never sees
a later one, so its key and value never change. Each step therefore projects only the new
token, appends its key and value to the cache and lets its one query attend over every cached
key. Queries are not cached: each is used once, at its own step.

Memory, per token and per layer: 2 (K and V) × H_kv × Dh × bytes per element, where H_kv is
the number of key/value heads (H in multi-head attention, fewer with grouped-query attention).
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import _validate

__all__ = ["KVCache", "kv_cache_bytes"]


class KVCache:
    """The cached keys ``(..., S, Dk)`` and values ``(..., S, Dv)`` of one attention layer.

    ``append(k, v)`` adds the keys and values of new positions along the positions axis (-2)
    and returns everything cached so far. ``len(cache)`` is S, the number of cached positions,
    and ``cache.nbytes`` the memory the two tensors take. The leading axes, e.g. ``(B, H)``,
    are whatever the first ``append`` brings; later ones must match them.
    """

    def __init__(self) -> None:
        self._keys: Tensor | None = None
        self._values: Tensor | None = None

    def append(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Add ``k (..., T, Dk)`` and ``v (..., T, Dv)``; return all keys and values, S + T long."""
        k = _validate.tensor("k", k, min_ndim=2)
        v = _validate.tensor("v", v, min_ndim=2)
        _validate.same_dtype(k=k, v=v)
        if k.shape[:-1] != v.shape[:-1]:
            raise ValueError(
                "k and v must have the same shape except the last axis, (..., T), got "
                f"k {_validate.shape_of(k)} and v {_validate.shape_of(v)}"
            )
        if self._keys is None or self._values is None:
            self._keys, self._values = k, v
        else:
            self._check_fits("k", k, self._keys)
            self._check_fits("v", v, self._values)
            self._keys = torch.cat([self._keys, k], dim=-2)  # (..., S + T, Dk)
            self._values = torch.cat([self._values, v], dim=-2)  # (..., S + T, Dv)
        return self._keys, self._values

    @property
    def keys(self) -> Tensor:
        """Every cached key, ``(..., S, Dk)``."""
        if self._keys is None:
            raise ValueError("the cache is empty: append the first keys and values first")
        return self._keys

    @property
    def values(self) -> Tensor:
        """Every cached value, ``(..., S, Dv)``."""
        if self._values is None:
            raise ValueError("the cache is empty: append the first keys and values first")
        return self._values

    def __len__(self) -> int:
        return 0 if self._keys is None else self._keys.size(-2)

    @property
    def nbytes(self) -> int:
        """Bytes held by the cached keys and values (0 while empty)."""
        if self._keys is None or self._values is None:
            return 0
        return self._keys.nbytes + self._values.nbytes

    def __repr__(self) -> str:
        if self._keys is None or self._values is None:
            return "KVCache(empty)"
        keys, values = _validate.shape_of(self._keys), _validate.shape_of(self._values)
        return f"KVCache(S={len(self)}, keys {keys}, values {values}, {self.nbytes} bytes)"

    @staticmethod
    def _check_fits(name: str, new: Tensor, cached: Tensor) -> None:
        same_axes = new.dim() == cached.dim() and new.shape[:-2] == cached.shape[:-2]
        if not same_axes or new.size(-1) != cached.size(-1):
            raise ValueError(
                f"{name} {_validate.shape_of(new)} does not fit the cache "
                f"{_validate.shape_of(cached)}: only the positions axis (-2) may differ"
            )
        if new.dtype != cached.dtype:
            raise TypeError(f"{name} has dtype {new.dtype}, but the cache holds {cached.dtype}")


def kv_cache_bytes(
    *, layers: int, kv_heads: int, head_dim: int, bytes_per_element: int, tokens: int = 1
) -> int:
    """Bytes of a KV cache: 2 (K and V) × layers × kv_heads × head_dim × bytes × tokens.

    E.g. 32 layers, 32 key/value heads of 128 in float16 (2 bytes): 524,288 bytes, 0.5 MiB,
    per token.
    """
    for name, value in (
        ("layers", layers),
        ("kv_heads", kv_heads),
        ("head_dim", head_dim),
        ("bytes_per_element", bytes_per_element),
        ("tokens", tokens),
    ):
        _validate.positive_int(name, value)
    return 2 * layers * kv_heads * head_dim * bytes_per_element * tokens
