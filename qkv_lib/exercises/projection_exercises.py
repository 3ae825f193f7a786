"""The exercise on where Q, K and V come from: ``project_qkv``.

Set in chapter 3 (the projection process): queries from ``x_q``, keys and values from
``x_kv``, each through its own (in, out) matrix, ``x @ W``. Chapter 5's multi-head attention
reuses the texts on sources and transposed weights below.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import Tensor

from .inputs import Inputs
from .spec import Exercise, Mistake

PROJECT_SIZES = {"B": 2, "T": 3, "S": 5, "E": 10, "d_k": 8, "Dv": 6}
PROBE_SIZES = {"B": 2, "T": 3, "S": 5, "d": 7}  # square W's: only here does x @ W.T run


def projection_inputs(sizes: dict[str, int], seed: int, names: tuple[str, ...]) -> Inputs:
    """Two sources and three matrices, float64: ``(B, T, E)``, ``(B, S, E_enc)``, W_q
    ``(E, d_k)``, W_k ``(E_enc, d_k)``, W_v ``(E_enc, Dv)``. A width missing from ``sizes``
    is E (E_enc too), and E itself is ``sizes["d"]`` for probes where every width is one."""
    g = torch.Generator().manual_seed(seed)
    B, T, S = sizes["B"], sizes["T"], sizes["S"]
    E = sizes.get("E", sizes.get("d"))
    E_enc, d_k, Dv = sizes.get("E_enc", E), sizes.get("d_k", E), sizes.get("Dv", E)
    args = (
        torch.randn(B, T, E, generator=g, dtype=torch.float64),  # the queries' source
        torch.randn(B, S, E_enc, generator=g, dtype=torch.float64),  # the keys' and values'
        torch.randn(E, d_k, generator=g, dtype=torch.float64),  # W_q
        torch.randn(E_enc, d_k, generator=g, dtype=torch.float64),  # W_k
        torch.randn(E_enc, Dv, generator=g, dtype=torch.float64),  # W_v
    )
    return Inputs(args, names, sizes)


def _project_inputs(sizes: dict[str, int] = PROJECT_SIZES) -> Inputs:
    return projection_inputs(sizes, 31, ("x_q", "x_kv", "W_q", "W_k", "W_v"))


def _project(x_q, x_kv, W_q, W_k, W_v, *, q_from="q", kv_from="kv", transpose=False):
    sources = {"q": x_q, "kv": x_kv}

    def proj(x: Tensor, W: Tensor) -> Tensor:
        return x @ (W.T if transpose else W)

    q_src, kv_src = sources[q_from], sources[kv_from]
    return proj(q_src, W_q), proj(kv_src, W_k), proj(kv_src, W_v)


Q_SOURCE = (
    "Your queries come from x_kv. The queries come from the sequence that asks the questions: "
    "Q = x_q @ W_q. Only the keys and values come from x_kv."
)
KV_SOURCE = (
    "Your keys and values come from x_q. They come from the sequence being looked up: "
    "K = x_kv @ W_k and V = x_kv @ W_v (in self-attention x_q and x_kv are the same tensor)."
)
TRANSPOSED_W = (
    "These W's are (in, out) matrices applied on the right, so multiply `x @ W` directly. "
    "`x @ W.T` is what nn.Linear does with its stored `weight`, the (out, in) transpose, "
    "not with these."
)

PROJECT_QKV = Exercise(
    id="project_qkv",
    chapter=3,
    title="Project inputs into queries, keys and values",
    points=2,
    minutes=10,
    difficulty="easy",
    signature="fn(x_q, x_kv, W_q, W_k, W_v) -> (Q, K, V)",
    reference=_project,
    inputs=_project_inputs,
    outputs=(("B", "T", "d_k"), ("B", "S", "d_k"), ("B", "S", "Dv")),
    mistakes=(
        Mistake("query-from-wrong-source", Q_SOURCE, partial(_project, q_from="kv")),
        Mistake("keys-values-from-wrong-source", KV_SOURCE, partial(_project, kv_from="q")),
        Mistake(
            "query-from-wrong-source",
            "The sources are swapped: Q must come from x_q, and K and V from x_kv.",
            partial(_project, q_from="kv", kv_from="q"),
        ),
        Mistake("transposed-weights", TRANSPOSED_W, partial(_project, transpose=True)),
    ),
    probe=partial(_project_inputs, PROBE_SIZES),
)
