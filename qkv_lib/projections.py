"""The three learned projections that turn embeddings into queries, keys and values.

Taught in chapter 2 (where Q, K and V come from) and chapter 3 (the projection process).

    Q = X_q W_q + b_q        K = X_kv W_k + b_k        V = X_kv W_v + b_v

``nn.Linear`` stores the transposed matrix: ``q_proj.weight`` has shape
``(attention_dim, input_dim)`` and computes ``X @ q_proj.weight.T``.
"""

from __future__ import annotations

from torch import Tensor, nn

from . import _validate

__all__ = ["QKVProjection"]


class QKVProjection(nn.Module):
    """Project a query source and a key/value source into queries, keys and values.

    ``query (..., L, input_dim)``, ``key (..., S, kdim)`` and ``value (..., S, vdim)`` give
    ``q (..., L, attention_dim)``, ``k (..., S, attention_dim)`` and ``v (..., S, attention_dim)``.

    ``key`` defaults to ``query`` and ``value`` to ``key``: called with one tensor it is
    self-attention; called with a second sequence as ``key`` it is cross-attention.
    As in ``torch.nn.MultiheadAttention``, ``kdim`` and ``vdim`` each default to ``input_dim``.
    """

    def __init__(
        self,
        input_dim: int,
        attention_dim: int,
        *,
        kdim: int | None = None,
        vdim: int | None = None,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.input_dim = _validate.positive_int("input_dim", input_dim)
        self.attention_dim = _validate.positive_int("attention_dim", attention_dim)
        self.kdim = input_dim if kdim is None else _validate.positive_int("kdim", kdim)
        self.vdim = input_dim if vdim is None else _validate.positive_int("vdim", vdim)
        factory = {"device": device, "dtype": dtype}
        self.q_proj = nn.Linear(self.input_dim, attention_dim, bias=bias, **factory)  # W_q
        self.k_proj = nn.Linear(self.kdim, attention_dim, bias=bias, **factory)  # W_k
        self.v_proj = nn.Linear(self.vdim, attention_dim, bias=bias, **factory)  # W_v

    def forward(
        self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        key = query if key is None else key
        value = key if value is None else value
        query = _validate.last_dim("query", query, self.input_dim, "input_dim")
        key = _validate.last_dim("key", key, self.kdim, "kdim")
        value = _validate.last_dim("value", value, self.vdim, "vdim")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(
                "key and value must have the same positions (all dimensions but the last), "
                f"got key {_validate.shape_of(key)} and value {_validate.shape_of(value)}"
            )
        q = self.q_proj(query)  # (..., L, attention_dim)
        k = self.k_proj(key)  # (..., S, attention_dim)
        v = self.v_proj(value)  # (..., S, attention_dim)
        return q, k, v

    def extra_repr(self) -> str:
        return (
            f"input_dim={self.input_dim}, attention_dim={self.attention_dim}, "
            f"kdim={self.kdim}, vdim={self.vdim}"
        )
