"""Chapter 3's toy tokens in the plane and the projections that turn and stretch them.

Taught in chapter 3, the projection process. Four fixed tokens live in the plane (E = 2);
``W_q = scale_q · R(angle_q)`` and ``W_k = R(angle_k)`` are 2x2 matrices (d_k = 2), applied
to row vectors as ``Q = X @ W_q`` and ``K = X @ W_k``. The score ``q_i · k_j`` equals
``x_i W_q W_kᵀ x_jᵀ``, so only the difference of the two angles (and the scale) changes it.
Shapes: T number of tokens (S = T: self-attention); here d_k = E = 2, a coincidence
of the example.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from ._args import real

__all__ = [
    "TOKEN_ANGLES",
    "TOKEN_LENGTH",
    "ProjectedTokens",
    "project_tokens",
    "rotation",
    "toy_tokens",
]

#: Directions (degrees) of the four toy tokens.
TOKEN_ANGLES: tuple[float, ...] = (0.0, 70.0, 160.0, 250.0)
#: Length of every toy token (as the keys of chapter 1).
TOKEN_LENGTH = 2.0


def rotation(degrees: float) -> torch.Tensor:
    """The (2, 2) matrix that turns a ROW vector anticlockwise: ``x @ rotation(a)``.

    It is the transpose of the textbook matrix for column vectors, because the course
    multiplies tokens from the left (``Q = X @ W_q``).
    """
    a = math.radians(real("degrees", degrees))
    c, s = math.cos(a), math.sin(a)
    return torch.tensor([[c, s], [-s, c]])  # (E, d_k) = (2, 2)


def toy_tokens() -> torch.Tensor:
    """The four toy tokens of chapter 3 as rows: (T, E) = (4, 2), at TOKEN_ANGLES, length 2."""
    rows = [
        [TOKEN_LENGTH * math.cos(math.radians(a)), TOKEN_LENGTH * math.sin(math.radians(a))]
        for a in TOKEN_ANGLES
    ]
    return torch.tensor(rows)  # (T, E)


class ProjectedTokens(NamedTuple):
    """Everything the explorer draws for one setting of the controls."""

    tokens: torch.Tensor  # (T, E): the inputs X
    queries: torch.Tensor  # (T, d_k): X @ W_q
    keys: torch.Tensor  # (T, d_k): X @ W_k
    scores: torch.Tensor  # (T, T): queries @ keys.T, rows = queries, columns = keys
    weights: torch.Tensor  # (T, T): softmax(scores / √d_k) over the keys


def project_tokens(
    angle_q: float = 0.0, scale_q: float = 1.0, angle_k: float = 0.0
) -> ProjectedTokens:
    """Project the toy tokens with ``W_q = scale_q · R(angle_q)`` and ``W_k = R(angle_k)``.

    Returns the tokens, queries, keys, scores and attention weights (self-attention, no mask).
    """
    angle_q, scale_q = real("angle_q", angle_q), real("scale_q", scale_q)
    angle_k = real("angle_k", angle_k)
    X = toy_tokens()  # (T, E)
    W_q = scale_q * rotation(angle_q)  # (E, d_k)
    W_k = rotation(angle_k)  # (E, d_k)
    Q = X @ W_q  # (T, d_k)
    K = X @ W_k  # (T, d_k)
    scores = Q @ K.T  # (T, T)
    weights = torch.softmax(scores / math.sqrt(K.shape[-1]), dim=-1)  # (T, T)
    return ProjectedTokens(X, Q, K, scores, weights)
