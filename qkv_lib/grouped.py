"""Multi-query and grouped-query attention: H query heads share G key/value heads.

Taught in chapter 8 (Q, K and V in today's models), following Shazeer (2019), multi-query
attention (G = 1), and Ainslie et al. (2023), grouped-query attention (1 < G < H); G = H is
ordinary multi-head attention. Query heads are grouped in order: the H / G consecutive query
heads ``g·H/G … (g+1)·H/G − 1`` all use key/value head ``g``. That is what
``repeat_interleave(H // G, dim=-3)`` builds, and what
``torch.nn.functional.scaled_dot_product_attention(..., enable_gqa=True)`` computes.
"""

from __future__ import annotations

from torch import Tensor

from . import _validate
from .attention import scaled_dot_product_attention

__all__ = ["grouped_query_attention", "repeat_kv_heads"]


def repeat_kv_heads(x: Tensor, num_heads: int) -> Tensor:
    """``(..., G, S, D) -> (..., H, S, D)``: each key/value head repeated for its H / G queries.

    Head ``g`` of ``x`` becomes heads ``g·H/G`` to ``(g+1)·H/G − 1`` (``repeat_interleave``,
    not ``repeat``, which would cycle through the G heads instead).
    """
    x = _validate.tensor("x", x, min_ndim=3, floating=False)
    num_heads = _validate.positive_int("num_heads", num_heads)
    G = x.size(-3)
    if num_heads % G:
        raise ValueError(
            f"num_heads = {num_heads} must be a multiple of the number of key/value heads "
            f"G = {G} (axis -3 of x, shape {_validate.shape_of(x)})"
        )
    return x.repeat_interleave(num_heads // G, dim=-3)  # (..., H, S, D)


def grouped_query_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> tuple[Tensor, Tensor]:
    """Attention with H query heads and G shared key/value heads (G divides H).

    Shapes: ``query (..., H, T, Dh)``, ``key (..., G, S, Dh)`` and ``value (..., G, S, Dv)``
    give ``out (..., H, T, Dv)`` and ``weights (..., H, T, S)``. Query head h uses key/value
    head ``h // (H / G)``. ``attn_mask``, ``is_causal`` and ``scale`` are those of
    :func:`qkv_lib.scaled_dot_product_attention`: a bool mask keeps the keys marked ``True``
    (*may attend*), a float mask is added to the scores, and the scale defaults to 1/√Dh.
    """
    query = _validate.tensor("query", query, min_ndim=3)
    key = _validate.tensor("key", key, min_ndim=3)
    value = _validate.tensor("value", value, min_ndim=3)
    H, G = query.size(-3), key.size(-3)
    shapes = (
        f"query {_validate.shape_of(query)}, key {_validate.shape_of(key)} and "
        f"value {_validate.shape_of(value)}"
    )
    if value.size(-3) != G:
        raise ValueError(
            f"key and value must have the same number of heads G (axis -3), got {shapes}"
        )
    if H % G:
        raise ValueError(
            f"the query heads H = {H} must be a multiple of the key/value heads G = {G} "
            f"(axis -3), got {shapes}"
        )
    key = repeat_kv_heads(key, H)  # (..., H, S, Dh)
    value = repeat_kv_heads(value, H)  # (..., H, S, Dv)
    return scaled_dot_product_attention(query, key, value, attn_mask, is_causal, scale)
