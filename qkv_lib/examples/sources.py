"""Chapter 2's two toy sequences: a decoder that asks and an encoder that answers.

Taught in chapter 2, where Q, K and V come from (self- and cross-attention). A 3-token
"decoder" and a 5-token "encoder" have fixed embeddings of width E = 6; one fixed
:class:`~qkv_lib.QKVProjection` maps them to queries and keys of width d_k = 4 and values of
width Dv = 4. :func:`source_attention` runs attention with any choice of sources.
Shapes: T query length, S key/value length, E embed dim, d_k query/key dim, Dv value dim.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
from torch import Tensor

from .. import _validate
from ..attention import scaled_dot_product_attention
from ..projections import QKVProjection

__all__ = [
    "ATTENTION_DIM",
    "DECODER_TOKENS",
    "EMBED_DIM",
    "ENCODER_TOKENS",
    "SOURCES",
    "SourceAttention",
    "source_attention",
    "toy_projection",
    "toy_sequences",
]

#: The decoder's tokens (T = 3 when the decoder asks): a translation started so far.
DECODER_TOKENS: tuple[str, ...] = ("<s>", "le", "chat")
#: The encoder's tokens (S = 5 when the encoder answers): the sentence being translated.
ENCODER_TOKENS: tuple[str, ...] = ("the", "cat", "sat", "on", "mats")
#: The two sequences a query or a key/value source can be.
SOURCES: tuple[str, ...] = ("decoder", "encoder")
EMBED_DIM = 6  # E
ATTENTION_DIM = 4  # d_k = Dv
_SEED = 2


def _uninitialised_projection() -> QKVProjection:
    """A ``QKVProjection(E, d_k, bias=False)`` made without drawing from the global RNG."""
    return torch.nn.utils.skip_init(QKVProjection, EMBED_DIM, ATTENTION_DIM, bias=False)


@functools.cache
def _toy_data() -> tuple[Tensor, Tensor, QKVProjection]:
    generator = torch.Generator().manual_seed(_SEED)
    sequences = []
    for tokens in (DECODER_TOKENS, ENCODER_TOKENS):
        x = torch.randn(len(tokens), EMBED_DIM, generator=generator)  # (N, E)
        # Every embedding gets the same length √E, so that without projections each token
        # is guaranteed to score itself highest (Cauchy–Schwarz, chapter 2).
        sequences.append(x / x.norm(dim=-1, keepdim=True) * math.sqrt(EMBED_DIM))
    projection = _uninitialised_projection()
    with torch.no_grad():
        for linear in (projection.q_proj, projection.k_proj, projection.v_proj):
            weight = torch.randn(ATTENTION_DIM, EMBED_DIM, generator=generator)  # (d_k, E)
            linear.weight.copy_(1.5 * weight / math.sqrt(EMBED_DIM))
    projection.requires_grad_(False)
    return sequences[0], sequences[1], projection


def toy_sequences() -> dict[str, Tensor]:
    """The fixed embeddings: ``{"decoder": (3, E), "encoder": (5, E)}`` with E = 6 (copies)."""
    decoder, encoder, _ = _toy_data()
    return {"decoder": decoder.clone(), "encoder": encoder.clone()}


def toy_projection() -> QKVProjection:
    """The explorer's fixed ``QKVProjection(E=6, d_k=4, bias=False)`` (a frozen copy)."""
    _, _, projection = _toy_data()
    copy = _uninitialised_projection()
    copy.load_state_dict(projection.state_dict())
    return copy.requires_grad_(False)


@dataclass(frozen=True)
class SourceAttention:
    """Every tensor of one frame: sources, projections, scores, weights and output."""

    query_source: str
    kv_source: str
    projections: bool
    query_tokens: tuple[str, ...]  # T labels
    key_tokens: tuple[str, ...]  # S labels
    x_q: Tensor  # (T, E): the embeddings the queries are made from
    x_kv: Tensor  # (S, E): the embeddings the keys and values are made from
    q: Tensor  # (T, d_k)
    k: Tensor  # (S, d_k)
    v: Tensor  # (S, Dv)
    scores: Tensor  # (T, S) = q kᵀ / √d_k
    weights: Tensor  # (T, S), each row sums to 1
    out: Tensor  # (T, Dv)

    @property
    def is_self(self) -> bool:
        """True for self-attention: the queries, keys and values come from one sequence."""
        return self.query_source == self.kv_source

    @property
    def diagonal_wins(self) -> int | None:
        """Self-attention only: how many tokens give their largest weight to themselves."""
        if not self.is_self:
            return None
        positions = torch.arange(self.weights.shape[0])
        return int((self.weights.argmax(dim=-1) == positions).sum())

    @property
    def symmetric(self) -> bool | None:
        """Self-attention only: is the score matrix equal to its transpose?"""
        if not self.is_self:
            return None
        return bool(torch.allclose(self.scores, self.scores.T, atol=1e-6))


def _check_source(name: str, value: object) -> str:
    if value not in SOURCES:
        raise ValueError(f"{name} must be one of {SOURCES}; got {value!r}")
    return str(value)


def source_attention(
    query_source: str = "decoder", kv_source: str = "encoder", projections: bool = True
) -> SourceAttention:
    """Attention from the ``query_source`` sequence to the ``kv_source`` sequence.

    With ``projections`` the toy ``QKVProjection`` makes Q = X_q W_q, K = X_kv W_k and
    V = X_kv W_v; without it Q = X_q and K = V = X_kv (the raw embeddings, width E).
    """
    query_source = _check_source("query_source", query_source)
    kv_source = _check_source("kv_source", kv_source)
    projections = _validate.flag("projections", projections)
    decoder, encoder, projection = _toy_data()
    sequences = {"decoder": decoder, "encoder": encoder}
    tokens = {"decoder": DECODER_TOKENS, "encoder": ENCODER_TOKENS}
    x_q, x_kv = sequences[query_source], sequences[kv_source]  # (T, E), (S, E)
    with torch.no_grad():
        if projections:
            q, k, v = projection(x_q, x_kv)  # (T, d_k), (S, d_k), (S, Dv)
        else:
            q, k, v = x_q, x_kv, x_kv  # (T, E), (S, E), (S, E)
        scores = q @ k.T / math.sqrt(q.shape[-1])  # (T, S)
        out, weights = scaled_dot_product_attention(q, k, v)  # (T, Dv), (T, S)
    return SourceAttention(
        query_source=query_source,
        kv_source=kv_source,
        projections=projections,
        query_tokens=tokens[query_source],
        key_tokens=tokens[kv_source],
        x_q=x_q,
        x_kv=x_kv,
        q=q,
        k=k,
        v=v,
        scores=scores,
        weights=weights,
        out=out,
    )
