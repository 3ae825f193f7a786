"""Chapter 7's model: embeddings, one cross-attention layer and a read-out.

Taught in chapter 7, watch the projections learn. The query token asks, the S pair
positions are looked up (each position's embedding is its key token's embedding plus its
value token's embedding): W_q and W_k must learn to match the query to the pair with the
same key, and W_v and W_o must carry that pair's value to a linear read-out over the value
vocabulary. A model's initial weights come from its ``seed``.
Shapes: B batch, S pairs per example, E embed dim, H heads, Dh head dim.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from .. import _validate
from ..modules import MultiHeadAttention
from .lookup_task import N_KEYS, N_VALUES, LookupBatch

__all__ = ["EMBED_DIM", "LookupModel", "LookupOutput", "evaluate", "match_scores"]

#: The chapter's model: embeddings of width E = 16, one head.
EMBED_DIM = 16


class LookupOutput(NamedTuple):
    """The model's answer: ``logits (B, n_values)`` and the query's attention ``weights (B, S)``."""

    logits: Tensor
    weights: Tensor


class LookupModel(nn.Module):
    """Embeddings, one cross-attention layer and a read-out: the smallest model for the task.

    ``query (B,)`` -> key embedding (B, 1, E), the attention's query input;
    ``keys, values (B, S)`` -> key embedding + value embedding (B, S, E), its key and value
    input; ``MultiHeadAttention`` -> (B, 1, E); ``readout`` -> ``logits (B, n_values)``.

    The learned parameters are W_q, W_k, W_v and W_o with their biases (``attention``) and
    the read-out (n_values, E) + bias. The token embeddings ``key_embedding`` (n_keys, E) and
    ``value_embedding`` (n_values, E) are fixed random vectors (``requires_grad=False``), like the
    output of earlier layers that this one cannot change: whatever the model learns about
    matching a query to a key must then go into W_q and W_k. With ``learn_embeddings=True``
    the embeddings are learned too, and they can take over the projections' job (a learned
    table followed by a learned matrix is one learned matrix).

    The initial weights are drawn with ``torch.manual_seed(seed)`` inside
    ``torch.random.fork_rng``, so the same ``seed`` gives the same model and the global
    random state is left as it was. ``seed=None`` uses the global random state instead.
    """

    def __init__(
        self,
        n_keys: int = N_KEYS,
        n_values: int = N_VALUES,
        embed_dim: int = EMBED_DIM,
        num_heads: int = 1,
        *,
        learn_embeddings: bool = False,
        seed: int | None = 0,
    ) -> None:
        super().__init__()
        self.n_keys = _validate.positive_int("n_keys", n_keys)
        self.n_values = _validate.positive_int("n_values", n_values)
        _validate.positive_int("embed_dim", embed_dim)
        _validate.positive_int("num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(
                f"embed_dim = {embed_dim} must be divisible by num_heads = {num_heads}, "
                "so that every head gets Dh = embed_dim / num_heads dimensions"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"seed must be an int or None; got {type(seed).__name__}")
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            self.key_embedding = nn.Embedding(n_keys, embed_dim)  # (n_keys, E)
            self.value_embedding = nn.Embedding(n_values, embed_dim)  # (n_values, E)
            self.attention = MultiHeadAttention(embed_dim, num_heads)  # W_q, W_k, W_v, W_o
            self.readout = nn.Linear(embed_dim, n_values)  # (n_values, E)
        if not isinstance(learn_embeddings, bool):
            raise TypeError(
                f"learn_embeddings must be True or False; got {type(learn_embeddings).__name__}"
            )
        self.key_embedding.weight.requires_grad_(learn_embeddings)
        self.value_embedding.weight.requires_grad_(learn_embeddings)

    def forward(self, query: Tensor, keys: Tensor, values: Tensor) -> LookupOutput:
        self._check_tokens(query, keys, values)
        asking = self.key_embedding(query)[:, None, :]  # (B, 1, E)
        pairs = self.key_embedding(keys) + self.value_embedding(values)  # (B, S, E)
        out, weights = self.attention(asking, pairs)  # (B, 1, E), (B, 1, S)
        logits = self.readout(out[:, 0])  # (B, n_values)
        return LookupOutput(logits=logits, weights=weights[:, 0])  # (B, n_values), (B, S)

    def _check_tokens(self, query: Tensor, keys: Tensor, values: Tensor) -> None:
        for name, t, ndim in (("query", query, 1), ("keys", keys, 2), ("values", values, 2)):
            if not isinstance(t, Tensor) or t.dtype != torch.long:
                kind = f"dtype {t.dtype}" if isinstance(t, Tensor) else type(t).__name__
                raise TypeError(f"{name} must be a tensor of token ids (torch.long); got {kind}")
            if t.dim() != ndim:
                shape = "(B,)" if ndim == 1 else "(B, S)"
                raise ValueError(f"{name} must have shape {shape}; got {_validate.shape_of(t)}")
        if keys.shape != values.shape or keys.shape[0] != query.shape[0]:
            raise ValueError(
                "keys and values must both be (B, S) and query (B,) with the same B; got "
                f"query {_validate.shape_of(query)}, keys {_validate.shape_of(keys)}, "
                f"values {_validate.shape_of(values)}"
            )
        for name, t, n in (
            ("query", query, self.n_keys),
            ("keys", keys, self.n_keys),
            ("values", values, self.n_values),
        ):
            if t.numel() and (t.min() < 0 or t.max() >= n):
                raise ValueError(
                    f"{name} holds token ids from {t.min().item()} to {t.max().item()}, "
                    f"but this model knows ids 0 to {n - 1}"
                )


def match_scores(model: LookupModel) -> Tensor:
    """The learned matching rule: scaled scores of every key token against every key token.

    Entry ``[i, j]`` is the score that a query for key token i gives a pair whose key is
    token j, leaving out the pair's value embedding: ``q_i · k_j / sqrt(Dh)`` with
    ``q_i = x_i W_q + b_q`` and ``k_j = x_j W_k + b_k`` (row vectors, x the key embeddings;
    the layer stores ``q_proj.weight`` = W_qᵀ). Shape ``(H, n_keys, n_keys)``, one matrix
    per head. Computed without gradients.
    """
    if not isinstance(model, LookupModel):
        raise TypeError(f"model must be a LookupModel; got {type(model).__name__}")
    attention = model.attention
    H, Dh = attention.num_heads, attention.head_dim
    with torch.no_grad():
        x = model.key_embedding.weight  # (n_keys, E)
        q = attention.in_proj.q_proj(x).view(-1, H, Dh).transpose(0, 1)  # (H, n_keys, Dh)
        k = attention.in_proj.k_proj(x).view(-1, H, Dh).transpose(0, 1)  # (H, n_keys, Dh)
        return q @ k.transpose(-2, -1) / math.sqrt(Dh)  # (H, n_keys, n_keys)


def evaluate(model: LookupModel, batch: LookupBatch) -> float:
    """The share of ``batch`` whose target value the model ranks first (no gradients)."""
    if not isinstance(model, LookupModel):
        raise TypeError(f"model must be a LookupModel; got {type(model).__name__}")
    if not isinstance(batch, LookupBatch):
        raise TypeError(f"batch must be a LookupBatch; got {type(batch).__name__}")
    with torch.no_grad():
        logits = model(*batch.inputs).logits  # (B, n_values)
    return (logits.argmax(dim=-1) == batch.target).float().mean().item()
