"""Attention as a soft dictionary lookup: an exact lookup next to a soft one.

Taught in chapter 1, Q, K and V as retrieval. A Python dict returns the value whose key
matches the query exactly; attention instead scores the query against *every* key, turns the
scores into weights with a softmax, and returns the weighted mix of *all* values.

Shapes: E the width of the query and of each key (in chapter 1 the keys are the embeddings
themselves, so this is also d_k, the width the scale uses), S number of keys (= number of
values), Dv value dim, T queries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

from . import _validate

__all__ = ["exact_lookup", "soft_lookup"]


def exact_lookup(query: str, table: Mapping[str, object]) -> object:
    """Return ``table[query]``: a Python dict lookup, all or nothing.

    Raises KeyError naming the available keys when ``query`` is not exactly one of them.
    """
    if not isinstance(table, Mapping):
        raise TypeError(f"table must be a dict (a Mapping); got {type(table).__name__}")
    try:
        return table[query]
    except TypeError:  # e.g. a list: a dict key must be hashable
        raise TypeError(
            f"query must be a key such as a string, got {type(query).__name__} {query!r}"
        ) from None
    except KeyError:
        available = ", ".join(repr(key) for key in table)
        raise KeyError(
            f"{query!r} is not a key of the table. An exact lookup needs an exact match; "
            f"the keys are: {available}. A soft lookup (soft_lookup) would return a blend instead."
        ) from None


def soft_lookup(
    query: torch.Tensor,
    keys: torch.Tensor,
    values: torch.Tensor,
    temperature: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Look up ``query`` softly: score every key, softmax the scores, mix the values.

    Shapes: query (E,) or (T, E); keys (S, E); values (S, Dv) (or (S,) for scalar values).
    Returns ``(output, weights)`` with output (Dv,) or (T, Dv) and weights (S,) or (T, S).

    scores  = keys · query / (sqrt(d_k) * temperature)   # one score per key
    weights = softmax(scores) over the S keys            # non-negative, sum to 1
    output  = weights @ values                           # weighted mix of the values

    d_k = ``query.shape[-1]`` is the width of the vectors being dotted; here d_k = E, because
    the query and the keys are compared without projections. With ``temperature=1`` this is
    scaled dot-product attention for one query. A small temperature sharpens the weights
    towards the best-matching key (an almost exact lookup); a large one flattens them
    towards the plain average of the values.
    """
    query = _validate.tensor("query", query)
    keys = _validate.tensor("keys", keys)
    values = _validate.tensor("values", values)
    _validate.same_dtype(query=query, keys=keys, values=values)
    if keys.ndim != 2:
        raise ValueError(f"keys must be 2-D with shape (S, E); got shape {tuple(keys.shape)}")
    S, E = keys.shape
    if query.ndim not in (1, 2) or query.shape[-1] != E:
        raise ValueError(
            f"query must have shape (E,) or (T, E) with E={E} to match keys {tuple(keys.shape)}; "
            f"got shape {tuple(query.shape)}"
        )
    if values.ndim not in (1, 2) or values.shape[0] != S:
        raise ValueError(
            f"values must have shape (S, Dv) or (S,) with S={S} (one value per key, keys "
            f"{tuple(keys.shape)}); got shape {tuple(values.shape)}"
        )
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"temperature must be a number; got {type(temperature).__name__}")
    if not temperature > 0 or math.isinf(temperature):
        raise ValueError(f"temperature must be a positive finite number; got {temperature}")

    d_k = query.shape[-1]  # = E: the width of the vectors being dotted
    scores = query @ keys.T / (math.sqrt(d_k) * temperature)  # (S,) or (T, S)
    weights = torch.softmax(scores, dim=-1)  # (S,) or (T, S), sums to 1 over the keys
    output = weights @ values  # (Dv,) or (T, Dv)
    return output, weights
