"""The first exercise: a soft dictionary lookup for one query, ``soft_lookup``.

Set in chapter 1 (Q, K and V as retrieval): score every key against the query, scale by
√d_k (d_k = ``query.shape[-1]``; here d_k = E = 4, because the query and the keys are
compared without projections), softmax over the keys and mix the values; return
``(output, weights)``.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import Tensor

from .attention_exercises import OVER_D_K, SCALES, TIMES
from .inputs import Inputs
from .spec import Exercise, Mistake, ScoreScale

LOOKUP_SIZES = {"E": 4, "S": 5, "Dv": 3}


def _lookup_inputs() -> Inputs:
    g = torch.Generator().manual_seed(7)
    E, S, Dv = LOOKUP_SIZES["E"], LOOKUP_SIZES["S"], LOOKUP_SIZES["Dv"]
    query = torch.randn(E, generator=g, dtype=torch.float64)
    keys = torch.randn(S, E, generator=g, dtype=torch.float64)
    values = torch.rand(S, Dv, generator=g, dtype=torch.float64)
    return Inputs((query, keys, values), ("query", "keys", "values"), LOOKUP_SIZES)


def _lookup(
    query: Tensor,
    keys: Tensor,
    values: Tensor,
    *,
    scale: str = "sqrt",
    softmax: bool = True,
    swap: bool = False,
    factor: float | None = None,
) -> tuple[Tensor, Tensor]:
    scale_by = SCALES[scale](query.shape[-1]) if factor is None else factor
    scores = keys @ query * scale_by  # (S,)
    weights = torch.softmax(scores, dim=-1) if softmax else scores  # (S,)
    output = weights @ values  # (Dv,)
    return (weights, output) if swap else (output, weights)


SOFT_LOOKUP = Exercise(
    id="soft_lookup",
    chapter=1,
    title="A soft lookup for one query",
    points=1,
    minutes=10,
    difficulty="easy",
    signature="fn(query, keys, values) -> (output, weights)",
    reference=_lookup,
    inputs=_lookup_inputs,
    outputs=(("Dv",), ("S",)),
    mistakes=(
        Mistake(
            "missing-scale",
            "Divide the scores by √d_k, the square root of the query's width (here d_k = E = "
            "4), before the softmax.",
            partial(_lookup, scale="none"),
        ),
        Mistake("wrong-scale", OVER_D_K, partial(_lookup, scale="d_k")),
        Mistake("wrong-scale", TIMES, partial(_lookup, scale="times")),
        Mistake(
            "missing-softmax",
            "Turn the scores into weights with a softmax over the keys before mixing the values.",
            partial(_lookup, softmax=False),
        ),
        Mistake(
            "swapped-outputs",
            "You returned (weights, output); return them the other way round: (output, weights).",
            partial(_lookup, swap=True),
        ),
    ),
    score_scale=ScoreScale("E", _lookup, name="d_k"),
)
