"""The exercise on cross-attention's sources: ``cross_attention_qkv``.

Set in chapter 2 (where Q, K and V come from): a decoder of width E makes the queries, an
encoder of another width E_enc makes the keys and values, each through its own (in, out)
matrix, ``x @ W``. The widths differ, so most wrong sources raise a shape error on the
checker's inputs; the probe inputs, where every width is the same, let those mistakes run and
be named, and any other failed product is explained from its operands' names and shapes.
"""

from __future__ import annotations

from functools import partial

from torch import Tensor

from .inputs import Inputs
from .projection_exercises import TRANSPOSED_W, projection_inputs
from .spec import Exercise, Mistake

CROSS_SIZES = {"B": 2, "T": 3, "S": 5, "E": 10, "E_enc": 7, "d_k": 8, "Dv": 6}
PROBE_SIZES = {"B": 2, "T": 3, "S": 5, "d": 4}  # every width d: any source or matrix runs


def _cross_inputs(sizes: dict[str, int] = CROSS_SIZES) -> Inputs:
    return projection_inputs(sizes, 47, ("x_dec", "x_enc", "W_q", "W_k", "W_v"))


def _cross(x_dec, x_enc, W_q, W_k, W_v, *, q_from="dec", kv_from="enc", swap="", transpose=False):
    sources = {"dec": x_dec, "enc": x_enc}
    W = {"q": W_q, "k": W_k, "v": W_v}
    if swap:  # e.g. "kv": K made with W_v and V with W_k
        W[swap[0]], W[swap[1]] = W[swap[1]], W[swap[0]]

    def proj(x: Tensor, W: Tensor) -> Tensor:
        return x @ (W.T if transpose else W)

    q_src, kv_src = sources[q_from], sources[kv_from]
    return proj(q_src, W["q"]), proj(kv_src, W["k"]), proj(kv_src, W["v"])  # (B, T/S/S, ...)


_Q_SOURCE = (
    "Your queries come from x_enc. In cross-attention the decoder asks the questions: the "
    "queries come from x_dec (through W_q), and only the keys and values from x_enc."
)
_KV_SOURCE = (
    "Your keys and values come from x_dec. They come from the sequence being looked up, the "
    "encoder's output: make K and V from x_enc, with W_k and W_v."
)
_BOTH_SOURCES = (
    "The sources are swapped: the queries must come from x_dec, the keys and values from x_enc."
)
_SWAPPED_KV = (
    "Your K and V are made with each other's matrix: the keys come from W_k and the values "
    "from W_v (K is (B, S, d_k), V is (B, S, Dv))."
)
_SWAPPED_QK = (
    "Your Q and K are made with each other's matrix: the queries come from W_q, the keys from W_k."
)

_MISTAKES = (
    Mistake("query-from-wrong-source", _Q_SOURCE, partial(_cross, q_from="enc")),
    Mistake("keys-values-from-wrong-source", _KV_SOURCE, partial(_cross, kv_from="dec")),
    Mistake("query-from-wrong-source", _BOTH_SOURCES, partial(_cross, q_from="enc", kv_from="dec")),
    Mistake("swapped-projections", _SWAPPED_KV, partial(_cross, swap="kv")),
    Mistake("swapped-projections", _SWAPPED_QK, partial(_cross, swap="qk")),
    Mistake("transposed-weights", TRANSPOSED_W, partial(_cross, transpose=True)),
)


CROSS_ATTENTION_QKV = Exercise(
    id="cross_attention_qkv",
    chapter=2,
    title="Queries from the decoder, keys and values from the encoder",
    points=2,
    minutes=10,
    difficulty="easy",
    signature="fn(x_dec, x_enc, W_q, W_k, W_v) -> (Q, K, V)",
    reference=_cross,
    inputs=_cross_inputs,
    outputs=(("B", "T", "d_k"), ("B", "S", "d_k"), ("B", "S", "Dv")),
    mistakes=_MISTAKES,
    probe=partial(_cross_inputs, PROBE_SIZES),
)
