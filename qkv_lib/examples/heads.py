"""Chapter 5's worked example: one sentence, hand-made projections, six heads with six jobs.

Taught in chapter 5, multi-head attention. A fixed sentence of T = 6 tokens, "the cat sat
on the mat", has hand-made embeddings of width E = 12: a one-hot position (6 numbers) next
to a one-hot word (6 numbers). Hand-made W_q and W_k give the six heads of H = 6 (Dh = 2
each) six recognisable jobs: look at the previous token, at the token itself, at the next
token, at the first token, at the nouns, at the verb. Every weight stays fixed whatever H:
only the cut of the E = 12 columns into heads changes.
Shapes: T tokens (S = T: self-attention), E embed dim, H heads, Dh = E / H head dim.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import Tensor

from .. import _validate
from ..modules import MultiHeadAttention
from ._args import index

__all__ = [
    "EMBED_DIM",
    "HEAD_JOBS",
    "TOKENS",
    "head_weights",
    "heads_example",
    "heads_layer",
    "token_name",
    "top_keys",
]

#: The example sentence (T = 6); "the" appears twice, at positions 0 and 4.
TOKENS: tuple[str, ...] = ("the", "cat", "sat", "on", "the", "mat")
#: What each of the six heads of H = 6 was built to look at.
HEAD_JOBS: tuple[str, ...] = (
    "the previous token",
    "the token itself",
    "the next token",
    "the first token",
    "the nouns",
    "the verb",
)
EMBED_DIM = 12  # E
_WORDS = ("the", "cat", "sat", "on", "mat")  # the word part of an embedding, one-hot
_STEP = math.radians(30)  # positions 0..5 as directions 0°, 30°, ..., 150° in a plane
_POSITION_GAIN = 18.0  # sharpness of the three positional heads
_CONTENT_GAIN = 5.0  # sharpness of the first-token, noun and verb heads
_SEED = 5  # W_v and W_o: random, they do not change the maps


def _direction(angle: float) -> Tensor:
    return torch.tensor([math.cos(angle), math.sin(angle)])  # (2,)


@functools.cache
def _example() -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """x (T, E) and the plain matrices W_q, W_k, W_v, W_o (E, E), used as ``x @ W``."""
    T, E = len(TOKENS), EMBED_DIM
    x = torch.zeros(T, E)  # (T, E)
    for i, word in enumerate(TOKENS):
        x[i, i] = 1.0  # position i
        x[i, T + _WORDS.index(word)] = 1.0  # the word
    W_q, W_k = torch.zeros(E, E), torch.zeros(E, E)  # (E, E); head h owns columns 2h, 2h+1
    # Heads 0, 1, 2: position i asks for the direction of position i - 1, i or i + 1; a key
    # answers with its own direction, so the dot product peaks at that offset.
    for h, offset in enumerate((-1, 0, 1)):
        for i in range(T):
            W_q[i, 2 * h : 2 * h + 2] = _POSITION_GAIN * _direction(_STEP * (i + offset))
            W_k[i, 2 * h : 2 * h + 2] = _direction(_STEP * i)
    # Heads 3, 4, 5: every query asks the same question; only some keys answer it.
    answers = {3: [0], 4: [T + _WORDS.index("cat"), T + _WORDS.index("mat")]}
    answers[5] = [T + _WORDS.index("sat")]
    for h, rows in answers.items():
        W_q[:T, 2 * h] = _CONTENT_GAIN  # every position asks
        W_k[rows, 2 * h] = 1.0  # position 0 (head 3), the nouns (4), the verb (5) answer
    g = torch.Generator().manual_seed(_SEED)
    W_v = torch.randn(E, E, generator=g) / math.sqrt(E)  # (E, E)
    W_o = torch.randn(E, E, generator=g) / math.sqrt(E)  # (E, E)
    return x, W_q, W_k, W_v, W_o


def heads_example() -> tuple[Tensor, tuple[str, ...]]:
    """The explorer's input: embeddings x (1, T, E) = (1, 6, 12) and the T token strings."""
    return _example()[0].clone()[None], TOKENS


def heads_layer(num_heads: int) -> MultiHeadAttention:
    """A ``qkv.MultiHeadAttention(12, num_heads, bias=False)`` with the example's weights.

    The weights are the same whatever ``num_heads``: only the cut into heads changes. Made
    without touching the global random number generator.
    """
    _, W_q, W_k, W_v, W_o = _example()
    layer = torch.nn.utils.skip_init(MultiHeadAttention, EMBED_DIM, num_heads, bias=False)
    with torch.no_grad():  # nn.Linear stores the transpose: q_proj.weight = W_qᵀ, and so on
        layer.in_proj.q_proj.weight.copy_(W_q.T)
        layer.in_proj.k_proj.weight.copy_(W_k.T)
        layer.in_proj.v_proj.weight.copy_(W_v.T)
        layer.out_proj.weight.copy_(W_o.T)
    return layer


@functools.cache
def _head_weights(num_heads: int) -> Tensor:
    x, _ = heads_example()  # (1, T, E)
    with torch.no_grad():
        _, weights = heads_layer(num_heads)(x, average_attn_weights=False)  # (1, H, T, T)
    return weights[0]  # (H, T, T)


def head_weights(num_heads: int) -> Tensor:
    """Every head's attention weights on the example, shape (H, T, S) = (H, 6, 6)."""
    return _head_weights(_validate.positive_int("num_heads", num_heads)).clone()


def token_name(position: int) -> str:
    """A token's name, with its position when the word occurs twice: "cat", "the (4)"."""
    word = TOKENS[index("position", position, len(TOKENS), "a token of the sentence")]
    return f"{word} ({position})" if TOKENS.count(word) > 1 else word


def top_keys(num_heads: int, query: int) -> list[tuple[tuple[str, ...], float]]:
    """For one query position, head by head: the key(s) with the largest weight, and it.

    Keys within 0.005 of the largest weight count as tied and are all named.
    """
    num_heads = _validate.positive_int("num_heads", num_heads)
    query = index("query", query, len(TOKENS), "a token of the sentence")
    rows = _head_weights(num_heads)[:, query]  # (H, S)
    best = rows.max(dim=-1).values  # (H,)
    return [
        (tuple(token_name(j) for j in (row >= top - 0.005).nonzero().flatten().tolist()), top)
        for row, top in zip(rows, best.tolist(), strict=True)
    ]
