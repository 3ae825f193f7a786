"""The three learned projections that turn embeddings into queries, keys and values.

Taught in chapter 2 (where Q, K and V come from) and chapter 3 (the projection process).

    Q = X_q W_q + b_q        K = X_kv W_k + b_k        V = X_kv W_v + b_v

W_q is the ``(input_dim, attention_dim)`` matrix applied on the right, ``x @ W_q`` (in the
course's letters (E, d_k)). ``nn.Linear`` stores its transpose: ``q_proj.weight`` is W_qᵀ,
of shape ``(attention_dim, input_dim)``, and the layer computes
``x @ q_proj.weight.T + q_proj.bias``. The same holds for W_k and W_v.
"""

from __future__ import annotations

from torch import Tensor, nn

from . import _validate

__all__ = ["QKVProjection"]


class QKVProjection(nn.Module):
    """Project a query source and a key/value source into queries, keys and values.

    ``query (..., T, input_dim)``, ``key (..., S, kdim)`` and ``value (..., S, vdim)`` give
    ``q (..., T, attention_dim)``, ``k (..., S, attention_dim)`` and ``v (..., S, attention_dim)``.

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
        factory = _factory(bias, device, dtype)
        # Each weight is the transpose of its matrix: q_proj.weight = W_qᵀ, and so on.
        self.q_proj = nn.Linear(self.input_dim, attention_dim, bias=bias, **factory)
        self.k_proj = nn.Linear(self.kdim, attention_dim, bias=bias, **factory)
        self.v_proj = nn.Linear(self.vdim, attention_dim, bias=bias, **factory)

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
        for name, x, layer in (
            ("query", query, self.q_proj),
            ("key", key, self.k_proj),
            ("value", value, self.v_proj),
        ):
            _validate.dtype_of_weights(name, x, layer.weight)
        q = self.q_proj(query)  # (..., T, attention_dim)
        k = self.k_proj(key)  # (..., S, attention_dim)
        v = self.v_proj(value)  # (..., S, attention_dim)
        return q, k, v

    def extra_repr(self) -> str:
        return (
            f"input_dim={self.input_dim}, attention_dim={self.attention_dim}, "
            f"kdim={self.kdim}, vdim={self.vdim}"
        )


def _factory(bias: object, device: object, dtype: object) -> dict:
    """Check the layer's ``bias``, ``device`` and ``dtype``; return ``device`` and ``dtype``."""
    _validate.flag("bias", bias)
    return {
        "device": _validate.device("device", device),
        "dtype": _validate.float_dtype("dtype", dtype),
    }
