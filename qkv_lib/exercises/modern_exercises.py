"""Exercises on attention in today's models: ``grouped_query_attention`` and ``decode_step``.

Set in chapter 8 (Q, K and V in today's models): H query heads sharing G key/value heads,
each group of H/G consecutive query heads using one of them (§8.3), and one step of causal
decoding with a KV cache: project the new token, append its key and value to the caches and
attend with its one query over every cached key (§8.2).
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import Tensor

from .inputs import Inputs
from .observation import MatmulRecord
from .spec import Exercise, Mistake, ScoreScale

# --- grouped-query attention ----------------------------------------------------------------

#: H / G = 2 differs from G = 3, so repeating the K/V heads in the wrong order changes values.
GQA_SIZES = {"B": 2, "G": 3, "T": 4, "S": 5, "H": 6, "Dh": 8}


def _gqa_inputs() -> Inputs:
    g = torch.Generator().manual_seed(81)
    B, G, T, S, H, Dh = (GQA_SIZES[k] for k in ("B", "G", "T", "S", "H", "Dh"))
    q = torch.randn(B, H, T, Dh, generator=g, dtype=torch.float64)
    k = torch.randn(B, G, S, Dh, generator=g, dtype=torch.float64)
    v = torch.randn(B, G, S, Dh, generator=g, dtype=torch.float64)
    return Inputs((q, k, v), ("q", "k", "v"), GQA_SIZES)


def _gqa(q, k, v, *, interleave=True, scale="sqrt_dh", dim=-1, factor=None):
    H, G, Dh = q.size(1), k.size(1), q.size(-1)
    if interleave:  # key/value head g serves query heads g·H/G ... (g+1)·H/G - 1
        k, v = k.repeat_interleave(H // G, dim=1), v.repeat_interleave(H // G, dim=1)
    else:  # the mistake: the G heads cycle, head h gets key/value head h % G
        k, v = k.repeat(1, H // G, 1, 1), v.repeat(1, H // G, 1, 1)  # (B, H, S, Dh)
    if factor is None:
        factor = {"sqrt_dh": Dh**-0.5, "none": 1.0, "sqrt_e": (H * Dh) ** -0.5}[scale]
    scores = q @ k.transpose(-2, -1) * factor  # (B, H, T, S)
    return torch.softmax(scores, dim=dim) @ v  # (B, H, T, Dh)


_WRONG_ORDER = (
    "Your query heads use the wrong key/value heads: head h got key/value head h % G, as "
    "`k.repeat(...)` (or `expand` + `reshape` with the new axis in front) makes them. Each group "
    "of H/G *consecutive* query heads shares one key/value head, so head h uses head h // (H/G): "
    "`k.repeat_interleave(H // G, dim=1)`."
)
_GQA_MISSING_SCALE = (
    "The scores are not scaled: divide them by √Dh, the width of the query and key vectors "
    "that are dotted (`q.shape[-1]`)."
)
_GQA_SQRT_E = (
    "You scaled by 1/√(H·Dh), the model width. Each head dots vectors of width Dh, so divide "
    "by √Dh."
)
_GQA_AXIS = (
    "Your softmax runs over the queries (T). Each query's weights over the keys must sum to "
    "1: take the softmax over the last axis, `dim=-1`."
)


def _heads_not_paired(record: MatmulRecord, inputs: Inputs) -> Mistake | None:
    """A product of H query heads with some other number of key/value heads: advice, no code."""
    H, G = inputs.sizes["H"], inputs.sizes["G"]
    if len(record.left) < 3 or len(record.right) < 3 or record.left[-3] != H:
        return None
    heads = record.right[-3]
    if heads == G:
        message = (
            f"The H = {H} query heads cannot be paired with the G = {G} key/value heads as they "
            "are: first repeat each key/value head H/G times, "
            "`k.repeat_interleave(H // G, dim=1)` (and the same for v)."
        )
    elif heads != H:
        message = (
            f"You repeated the key/value heads to {heads} heads, but there are H = {H} query "
            f"heads: repeat each of the G = {G} key/value heads H/G = {H // G} times."
        )
    else:
        return None
    return Mistake("error", message, _gqa)  # advice only: the generic code, not a named mistake


def _gqa_hint(got: Tensor, want: Tensor, inputs: Inputs) -> str:
    if got.dim() == 5:
        return "Reshape your grouped (B, G, H/G, T, Dh) result back to (B, H, T, Dh)."
    return ""


GROUPED_QUERY_ATTENTION = Exercise(
    id="grouped_query_attention",
    chapter=8,
    title="Grouped-query attention",
    points=2,
    minutes=15,
    difficulty="medium",
    signature="fn(q, k, v) -> output",
    reference=_gqa,
    inputs=_gqa_inputs,
    outputs=(("B", "H", "T", "Dh"),),
    mistakes=(
        Mistake("heads-repeated-in-wrong-order", _WRONG_ORDER, partial(_gqa, interleave=False)),
        Mistake("missing-scale", _GQA_MISSING_SCALE, partial(_gqa, scale="none")),
        Mistake("wrong-scale", _GQA_SQRT_E, partial(_gqa, scale="sqrt_e")),
        Mistake("softmax-wrong-axis", _GQA_AXIS, partial(_gqa, dim=-2)),
    ),
    hint=_gqa_hint,
    failed_matmul=_heads_not_paired,
    score_scale=ScoreScale("Dh", _gqa),
)


# --- one decoding step with a KV cache ------------------------------------------------------

#: One new token (T = 1) joins S = 4 cached ones; the caches grow to S + 1 = 5 positions.
DECODE_SIZES = {"T": 1, "B": 2, "d_k": 3, "S": 4, "S+1": 5, "Dv": 6, "E": 7}
#: B = S = 1: the only sizes where `torch.cat` along the batch axis (its default) runs.
DECODE_PROBE_SIZES = {"T": 1, "B": 1, "S": 1, "d_k": 3, "Dv": 6, "E": 7}


def _decode_inputs(sizes: dict[str, int] = DECODE_SIZES) -> Inputs:
    g = torch.Generator().manual_seed(78)
    B, S, E, d_k, Dv = (sizes[k] for k in ("B", "S", "E", "d_k", "Dv"))
    x_past = torch.randn(B, S, E, generator=g, dtype=torch.float64)  # the tokens decoded so far
    x_new = torch.randn(B, 1, E, generator=g, dtype=torch.float64)
    W_q, W_k = (torch.randn(E, d_k, generator=g, dtype=torch.float64) / math.sqrt(E) for _ in "qk")
    W_v = torch.randn(E, Dv, generator=g, dtype=torch.float64) / math.sqrt(E)
    args = (x_new, W_q, W_k, W_v, x_past @ W_k, x_past @ W_v)  # caches: (B, S, d_k), (B, S, Dv)
    return Inputs(args, ("x_new", "W_q", "W_k", "W_v", "k_cache", "v_cache"), sizes)


def _decode(
    x_new,
    W_q,
    W_k,
    W_v,
    k_cache,
    v_cache,
    *,
    attend_new=True,
    prepend=False,
    dim_cat=1,
    grow=True,
    scale="sqrt_dk",
    dim=-1,
    factor=None,
):
    q, k, v = x_new @ W_q, x_new @ W_k, x_new @ W_v  # (B, 1, d_k), (B, 1, d_k), (B, 1, Dv)
    pairs = ((k, k_cache), (v, v_cache)) if prepend else ((k_cache, k), (v_cache, v))
    keys, values = (torch.cat(pair, dim=dim_cat) for pair in pairs)  # (B, S+1, d_k), (..., Dv)
    seen_k, seen_v = (keys, values) if attend_new else (k_cache, v_cache)
    if factor is None:
        factor = {
            "sqrt_dk": 1 / math.sqrt(q.size(-1)),
            "none": 1.0,
            "sqrt_e": 1 / math.sqrt(x_new.size(-1)),
        }[scale]
    scores = q @ seen_k.transpose(-2, -1) * factor  # (B, 1, S+1)
    out = torch.softmax(scores, dim=dim) @ seen_v  # (B, 1, Dv)
    return (out, keys, values) if grow else (out, k_cache, v_cache)


_NOT_ATTENDED = (
    "Your new token's query attended over the old cache only. Append the new key and value "
    "first, then attend over all S + 1 positions: a token may attend to itself."
)
_WRONG_ORDER_CACHE = (
    "Your caches put the new token first. Positions are kept in order, so append it at the "
    "end: `torch.cat([k_cache, k], dim=1)`. (The output is the same either way, but the next "
    "steps and any position-dependent code read the cache in order.)"
)
_WRONG_AXIS = (
    "`torch.cat` joined the caches along dim=0, its default, which is the batch axis B. The "
    "positions are axis 1: `torch.cat([k_cache, k], dim=1)`."
)
_NOT_GROWN = (
    "You returned the old caches. Return the grown ones, with the new token's key and value "
    "appended: (B, S+1, d_k) and (B, S+1, Dv), so that the next step can use them."
)
_DECODE_MISSING_SCALE = (
    "The scores are not scaled: divide them by √d_k, the width of q and k (`W_q.shape[1]`)."
)
_DECODE_SQRT_E = (
    "You scaled by 1/√E, the width of the token x_new. The scores are dot products of q and "
    "k, which have width d_k: divide by √d_k."
)
_DECODE_AXIS = (
    "Your softmax runs over the queries (dim=-2). There is only one query, so every key got "
    "weight 1: take the softmax over the keys, `dim=-1`."
)


def _decode_hint(got: Tensor, want: Tensor, inputs: Inputs) -> str:
    S = inputs.sizes["S"]
    if got.dim() == 3 and want.dim() == 3 and got.size(1) == S and want.size(1) == S + 1:
        return "The caches must grow by one position, from S to S+1: append the new token's."
    return ""


DECODE_STEP = Exercise(
    id="decode_step",
    chapter=8,
    title="One decoding step with a KV cache",
    points=2,
    minutes=15,
    difficulty="medium",
    signature="fn(x_new, W_q, W_k, W_v, k_cache, v_cache) -> (out, k_cache, v_cache)",
    reference=_decode,
    inputs=_decode_inputs,
    outputs=(("B", "T", "Dv"), ("B", "S+1", "d_k"), ("B", "S+1", "Dv")),
    mistakes=(
        Mistake("new-token-not-attended", _NOT_ATTENDED, partial(_decode, attend_new=False)),
        Mistake("cache-wrong-order", _WRONG_ORDER_CACHE, partial(_decode, prepend=True)),
        Mistake("cache-wrong-axis", _WRONG_AXIS, partial(_decode, dim_cat=0)),
        Mistake("cache-not-grown", _NOT_GROWN, partial(_decode, grow=False)),
        Mistake("missing-scale", _DECODE_MISSING_SCALE, partial(_decode, scale="none")),
        Mistake("wrong-scale", _DECODE_SQRT_E, partial(_decode, scale="sqrt_e")),
        Mistake("softmax-wrong-axis", _DECODE_AXIS, partial(_decode, dim=-2)),
    ),
    probe=partial(_decode_inputs, DECODE_PROBE_SIZES),
    hint=_decode_hint,
    score_scale=ScoreScale("d_k", _decode),
)
