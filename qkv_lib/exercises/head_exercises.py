"""Exercises on heads: ``split_heads``, ``merge_heads`` and ``multi_head_attention``.

Set in chapter 5 (multi-head attention): split E into H heads of Dh = E / H (a reshape *and*
a transpose), attend in every head, merge the heads back and apply the output projection.
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import Tensor

from .inputs import Inputs
from .observation import MatmulRecord
from .projection_exercises import KV_SOURCE, Q_SOURCE, TRANSPOSED_W
from .spec import Exercise, Mistake, ScoreScale

HEAD_SIZES = {"B": 2, "T": 3, "H": 4, "Dh": 6, "E": 24}


def _split(x: Tensor, num_heads: int, *, bare: bool = False, move: bool = True) -> Tensor:
    B, T, E = x.shape
    Dh = E // num_heads
    if bare:
        return x.reshape(B, num_heads, T, Dh)  # the classic mistake: no transpose
    x = x.view(B, T, num_heads, Dh)  # (B, T, H, Dh)
    return x.transpose(1, 2) if move else x  # (B, H, T, Dh)


def _merge(x: Tensor, *, bare: bool = False) -> Tensor:
    B, H, T, Dh = x.shape
    if bare:
        return x.reshape(B, T, H * Dh)  # the classic mistake: no transpose
    return x.transpose(1, 2).reshape(B, T, H * Dh)  # (B, T, E)


def _split_inputs() -> Inputs:
    g = torch.Generator().manual_seed(5)
    B, T, E, H = (HEAD_SIZES[k] for k in ("B", "T", "E", "H"))
    return Inputs(
        (torch.randn(B, T, E, generator=g, dtype=torch.float64), H), ("x", "num_heads"), HEAD_SIZES
    )


def _merge_inputs() -> Inputs:
    g = torch.Generator().manual_seed(6)
    B, H, T, Dh = (HEAD_SIZES[k] for k in ("B", "H", "T", "Dh"))
    return Inputs((torch.randn(B, H, T, Dh, generator=g, dtype=torch.float64),), ("x",), HEAD_SIZES)


_BARE_SPLIT = (
    "You reshaped (B, T, E) straight to (B, H, T, Dh), which mixes different positions into one "
    "head. Split the last axis first, `x.view(B, T, H, Dh)`, then move the head axis forward with "
    "`.transpose(1, 2)`."
)
_UNMOVED = (
    "You split E into heads but left the head axis after T: your result is (B, T, H, Dh). Add "
    "`.transpose(1, 2)` to get (B, H, T, Dh)."
)
_BARE_MERGE = (
    "You reshaped (B, H, T, Dh) straight to (B, T, H·Dh), which mixes positions across heads. "
    "First `.transpose(1, 2)` to (B, T, H, Dh), then `.reshape(B, T, H * Dh)`."
)
_MERGE_HINT = "First `.transpose(1, 2)` to (B, T, H, Dh), then `.reshape(B, T, H * Dh)`."

SPLIT_HEADS = Exercise(
    id="split_heads",
    chapter=5,
    title="Split the projections into heads",
    points=2,
    minutes=10,
    difficulty="medium",
    signature="fn(x, num_heads) -> heads",
    reference=_split,
    inputs=_split_inputs,
    outputs=(("B", "H", "T", "Dh"),),
    mistakes=(
        Mistake("reshape-without-transpose", _BARE_SPLIT, partial(_split, bare=True)),
        Mistake("reshape-without-transpose", _UNMOVED, partial(_split, move=False)),
    ),
)

MERGE_HEADS = Exercise(
    id="merge_heads",
    chapter=5,
    title="Merge the heads back",
    points=1,
    minutes=5,
    difficulty="medium",
    signature="fn(x) -> merged",
    reference=_merge,
    inputs=_merge_inputs,
    outputs=(("B", "T", "E"),),
    mistakes=(Mistake("reshape-without-transpose", _BARE_MERGE, partial(_merge, bare=True)),),
    hint=lambda got, want, inputs: _MERGE_HINT if got.dim() == 4 else "",
)


# --- multi-head attention ------------------------------------------------------------------

MHA_SIZES = {"B": 2, "T": 3, "S": 5, "H": 4, "Dh": 6, "E": 24}


def _mha_inputs() -> Inputs:
    g = torch.Generator().manual_seed(11)
    B, T, S, E, H = (MHA_SIZES[k] for k in ("B", "T", "S", "E", "H"))
    x_q = torch.randn(B, T, E, generator=g, dtype=torch.float64)
    x_kv = torch.randn(B, S, E, generator=g, dtype=torch.float64)
    Ws = [torch.randn(E, E, generator=g, dtype=torch.float64) / math.sqrt(E) for _ in range(4)]
    names = ("x_q", "x_kv", "W_q", "W_k", "W_v", "W_o", "num_heads")
    return Inputs((x_q, x_kv, *Ws, H), names, MHA_SIZES)


def _mha(
    x_q,
    x_kv,
    W_q,
    W_k,
    W_v,
    W_o,
    num_heads,
    *,
    q_from="q",
    kv_from="kv",
    scale="sqrt_dh",
    dim=-1,
    softmax=True,
    bare_split=False,
    bare_merge=False,
    out_proj=True,
    transpose=(),
    factor=None,
):
    W = {"q": W_q, "k": W_k, "v": W_v, "o": W_o}
    W = {k: (w.T if k in transpose else w) for k, w in W.items()}
    sources = {"q": x_q, "kv": x_kv}
    q = _split(sources[q_from] @ W["q"], num_heads, bare=bare_split)  # (B, H, T, Dh)
    k = _split(sources[kv_from] @ W["k"], num_heads, bare=bare_split)  # (B, H, S, Dh)
    v = _split(sources[kv_from] @ W["v"], num_heads, bare=bare_split)  # (B, H, S, Dh)
    E, Dh = x_q.shape[-1], x_q.shape[-1] // num_heads
    if factor is None:
        factor = {
            "sqrt_dh": 1 / math.sqrt(Dh),
            "none": 1.0,
            "sqrt_e": 1 / math.sqrt(E),
            "dh": 1 / Dh,
            "times": math.sqrt(Dh),
        }[scale]
    scores = q @ k.transpose(-2, -1) * factor  # (B, H, T, S)
    weights = torch.softmax(scores, dim=dim) if softmax else scores
    merged = _merge(weights @ v, bare=bare_merge)  # (B, T, E)
    return merged @ W["o"] if out_proj else merged


def _mha_mistake(code: str, message: str, **kwargs) -> Mistake:
    return Mistake(code, message, partial(_mha, **kwargs))


def _unmoved_heads(record: MatmulRecord, inputs: Inputs) -> Mistake | None:
    """A product of (B, T, H, Dh) tensors: heads were split without moving the head axis."""
    H, Dh = inputs.sizes["H"], inputs.sizes["Dh"]
    if tuple(record.left[-2:]) == (H, Dh) or tuple(record.right[-2:]) == (Dh, H):
        return Mistake("reshape-without-transpose", _UNMOVED, _mha)
    return None


MULTI_HEAD_ATTENTION = Exercise(
    id="multi_head_attention",
    chapter=5,
    title="Multi-head attention from the four matrices",
    points=3,
    minutes=20,
    difficulty="hard",
    signature="fn(x_q, x_kv, W_q, W_k, W_v, W_o, num_heads) -> output",
    reference=_mha,
    inputs=_mha_inputs,
    outputs=(("B", "T", "E"),),
    mistakes=(
        _mha_mistake(
            "missing-scale",
            "Scale each head's scores by 1/√Dh (Dh = E / num_heads) before the softmax.",
            scale="none",
        ),
        _mha_mistake(
            "wrong-scale",
            "You scaled by √E, the model width. Each head's scores are dot products of "
            "Dh = E / num_heads numbers, so divide by √Dh.",
            scale="sqrt_e",
        ),
        _mha_mistake("wrong-scale", "You divided by Dh; divide by √Dh instead.", scale="dh"),
        _mha_mistake("wrong-scale", "You multiplied by √Dh; divide by it instead.", scale="times"),
        _mha_mistake(
            "softmax-wrong-axis",
            "Your softmax runs over the queries (T); take it over the keys, `dim=-1`.",
            dim=-2,
        ),
        _mha_mistake(
            "softmax-wrong-axis",
            "Your softmax runs over the heads (axis 1); take it over the keys, `dim=-1`.",
            dim=1,
        ),
        _mha_mistake(
            "missing-softmax",
            "Apply a softmax over the keys (`dim=-1`) to each head's scaled scores.",
            softmax=False,
        ),
        _mha_mistake("query-from-wrong-source", Q_SOURCE, q_from="kv"),
        _mha_mistake("keys-values-from-wrong-source", KV_SOURCE, kv_from="q"),
        _mha_mistake("reshape-without-transpose", _BARE_SPLIT, bare_split=True),
        _mha_mistake("reshape-without-transpose", _BARE_MERGE, bare_merge=True),
        _mha_mistake(
            "reshape-without-transpose",
            "Both the split and the merge reshape without a transpose. " + _BARE_SPLIT,
            bare_split=True,
            bare_merge=True,
        ),
        _mha_mistake(
            "missing-output-projection",
            "You stopped after merging the heads: multiply by the output projection W_o.",
            out_proj=False,
        ),
        _mha_mistake("transposed-weights", TRANSPOSED_W, transpose=("q", "k", "v", "o")),
        _mha_mistake("transposed-weights", TRANSPOSED_W, transpose=("q", "k", "v")),
    ),
    failed_matmul=_unmoved_heads,
    score_scale=ScoreScale("Dh", _mha),
)
