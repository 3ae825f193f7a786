"""Bad input gets a TypeError or ValueError naming the argument and the shapes, before torch."""

import dataclasses
import inspect
import math
import re
from collections.abc import Callable
from functools import partial
from types import FunctionType
from typing import NamedTuple

import pytest
import torch
from torch import nn

import qkv_lib as qkv
from qkv_lib import retrieval

q, k, v = torch.randn(2, 3, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 6)
mha = qkv.MultiHeadAttention(12, 3)
x12, mem12 = torch.randn(2, 3, 12), torch.randn(2, 5, 12)
proj = qkv.QKVProjection(8, 4)
sdpa = qkv.scaled_dot_product_attention

CASES = [
    # (id, call, exception, fragments the message must contain)
    ("sdpa-list-query", lambda: sdpa([[1.0]], k, v), TypeError, ["query", "list"]),
    (
        "sdpa-int-key",
        lambda: sdpa(q, torch.ones(2, 5, 8, dtype=torch.long), v),
        TypeError,
        ["key", "torch.int64", "(2, 5, 8)"],
    ),
    (
        "sdpa-1d-value",
        lambda: sdpa(q, k, torch.randn(5)),
        ValueError,
        ["value", "at least 2", "(5,)"],
    ),
    (
        "sdpa-d_k-mismatch",
        lambda: sdpa(q, torch.randn(2, 5, 7), v),
        ValueError,
        ["query", "key", "(2, 3, 8)", "(2, 5, 7)", "d_k"],
    ),
    (
        "sdpa-S-mismatch",
        lambda: sdpa(q, k, torch.randn(2, 4, 6)),
        ValueError,
        ["key", "value", "(2, 5, 8)", "(2, 4, 6)", "S"],
    ),
    (
        "sdpa-batch",
        lambda: sdpa(q, torch.randn(3, 5, 8), torch.randn(3, 5, 6)),
        ValueError,
        ["batch", "(2, 3, 8)", "(3, 5, 8)"],
    ),
    (
        "sdpa-dtype",
        lambda: sdpa(q, k.double(), v),
        TypeError,
        ["query torch.float32", "key torch.float64"],
    ),
    (
        "sdpa-mask-shape",
        lambda: sdpa(q, k, v, attn_mask=torch.ones(5, 3, dtype=torch.bool)),
        ValueError,
        ["attn_mask", "(..., T, S)", "(2, 3, 5)", "(5, 3)"],
    ),
    (
        "sdpa-mask-dtype",
        lambda: sdpa(q, k, v, attn_mask=torch.ones(3, 5, dtype=torch.long)),
        TypeError,
        ["attn_mask", "torch.int64"],
    ),
    ("sdpa-mask-type", lambda: sdpa(q, k, v, attn_mask=[[True]]), TypeError, ["attn_mask", "list"]),
    (
        "sdpa-mask-and-causal",
        lambda: sdpa(q, k, v, attn_mask=torch.ones(3, 5, dtype=torch.bool), is_causal=True),
        ValueError,
        ["attn_mask", "is_causal"],
    ),
    ("sdpa-scale", lambda: sdpa(q, k, v, scale="0.5"), TypeError, ["scale", "str"]),
    (
        "split-divisible",
        lambda: qkv.split_heads(torch.randn(2, 3, 10), 3),
        ValueError,
        ["num_heads = 3", "E = 10", "(2, 3, 10)"],
    ),
    (
        "split-heads-type",
        lambda: qkv.split_heads(torch.randn(2, 3, 12), 2.0),
        TypeError,
        ["num_heads", "float"],
    ),
    (
        "split-heads-zero",
        lambda: qkv.split_heads(torch.randn(2, 3, 12), 0),
        ValueError,
        ["num_heads", "positive"],
    ),
    ("split-not-tensor", lambda: qkv.split_heads("abc", 3), TypeError, ["x", "str"]),
    (
        "merge-ndim",
        lambda: qkv.merge_heads(torch.randn(3, 4)),
        ValueError,
        ["x", "at least 3", "(3, 4)"],
    ),
    ("causal-T", lambda: qkv.causal_mask(0), ValueError, ["T must be positive"]),
    ("causal-S-type", lambda: qkv.causal_mask(3, 2.5), TypeError, ["S", "float"]),
    ("padding-lengths", lambda: qkv.key_padding_mask([3, 7], S=5), ValueError, ["length", "S = 5"]),
    (
        "padding-float",
        lambda: qkv.key_padding_mask(torch.tensor([1.5]), S=5),
        ValueError,
        ["lengths", "torch.float32"],
    ),
    (
        "mha-divisible",
        lambda: qkv.MultiHeadAttention(10, 3),
        ValueError,
        ["embed_dim = 10", "num_heads = 3"],
    ),
    ("mha-heads-type", lambda: qkv.MultiHeadAttention(12, "3"), TypeError, ["num_heads", "str"]),
    (
        "mha-query-width",
        lambda: mha(torch.randn(2, 3, 8)),
        ValueError,
        ["query", "8", "embed_dim = 12", "(2, 3, 8)"],
    ),
    (
        "mha-key-width",
        lambda: mha(x12, torch.randn(2, 5, 6)),
        ValueError,
        ["key", "kdim = 12", "(2, 5, 6)"],
    ),
    (
        "mha-value-width",
        lambda: mha(x12, mem12, torch.randn(2, 5, 6)),
        ValueError,
        ["value", "vdim = 12", "(2, 5, 6)"],
    ),
    (
        "mha-ndim",
        lambda: mha(torch.randn(2, 2, 3, 12)),
        ValueError,
        ["query", "2 or 3", "(2, 2, 3, 12)"],
    ),
    (
        "mha-mixed-ndim",
        lambda: mha(x12, mem12[0]),
        ValueError,
        ["batched", "(2, 3, 12)", "(5, 12)"],
    ),
    (
        "mha-batch",
        lambda: mha(x12, torch.randn(3, 5, 12)),
        ValueError,
        ["batch size", "(2, 3, 12)", "(3, 5, 12)"],
    ),
    (
        "mha-kv-length",
        lambda: mha(x12, mem12, torch.randn(2, 4, 12)),
        ValueError,
        ["key", "value", "(2, 5, 12)", "(2, 4, 12)"],
    ),
    ("mha-not-tensor", lambda: mha(x12.tolist()), TypeError, ["query", "list"]),
    (
        "mha-int",
        lambda: mha(torch.ones(2, 3, 12, dtype=torch.long)),
        TypeError,
        ["query", "torch.int64"],
    ),
    (
        "mha-dtype",
        lambda: mha(x12, mem12.double()),
        TypeError,
        ["query torch.float32", "key torch.float64"],
    ),
    (
        "mha-weights-dtype",
        lambda: mha(x12.double()),
        TypeError,
        ["query", "dtype torch.float64", "weights have dtype torch.float32"],
    ),
    (
        "mha-weights-dtype-unbatched",
        lambda: qkv.MultiHeadAttention(12, 3, dtype=torch.float64)(x12[0], mem12[0]),
        TypeError,
        ["query", "dtype torch.float32", "weights have dtype torch.float64"],
    ),
    (
        "mha-padding-shape",
        lambda: mha(x12, mem12, key_padding_mask=torch.zeros(2, 3, dtype=torch.bool)),
        ValueError,
        ["key_padding_mask", "(B, S) = (2, 5)", "(2, 3)"],
    ),
    (
        "mha-attn-shape",
        lambda: mha(x12, mem12, attn_mask=torch.zeros(5, 3, dtype=torch.bool)),
        ValueError,
        ["attn_mask", "(T, S) = (3, 5)", "(5, 3)"],
    ),
    (
        "mha-attn-3d",
        lambda: mha(x12, mem12, attn_mask=torch.zeros(2, 3, 5, dtype=torch.bool)),
        ValueError,
        ["attn_mask", "(B*H, T, S) = (6, 3, 5)", "(2, 3, 5)"],
    ),
    (
        "mha-attn-dtype",
        lambda: mha(x12, attn_mask=torch.zeros(3, 3, dtype=torch.int32)),
        TypeError,
        ["attn_mask", "torch.int32"],
    ),
    (
        "mha-attn-4d",
        lambda: mha(x12, attn_mask=torch.zeros(1, 1, 3, 3, dtype=torch.bool)),
        ValueError,
        ["attn_mask", "(1, 1, 3, 3)"],
    ),
    (
        "proj-width",
        lambda: proj(torch.randn(2, 3, 6)),
        ValueError,
        ["query", "input_dim = 8", "(2, 3, 6)"],
    ),
    (
        "proj-kv",
        lambda: proj(q, torch.randn(2, 5, 8), torch.randn(2, 4, 8)),
        ValueError,
        ["key", "value", "(2, 5, 8)", "(2, 4, 8)"],
    ),
    (
        "proj-weights-dtype",
        lambda: proj(q.double()),
        TypeError,
        ["query", "dtype torch.float64", "weights have dtype torch.float32"],
    ),
    (
        "proj-key-weights-dtype",
        lambda: proj(q, k.half(), k),
        TypeError,
        ["key", "dtype torch.float16", "weights have dtype torch.float32"],
    ),
    ("proj-dim", lambda: qkv.QKVProjection(8, -1), ValueError, ["attention_dim", "positive"]),
    (
        "from-torch-type",
        lambda: qkv.MultiHeadAttention.from_torch(nn.Linear(2, 2)),
        TypeError,
        ["module", "Linear"],
    ),
]


@pytest.mark.parametrize(
    "call,exception,fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_reported_clearly(call, exception, fragments):
    with pytest.raises(exception) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    # raised by qkv_lib itself, not from inside torch
    assert re.search(r"qkv_lib", info.traceback[-1].path.as_posix()), info.traceback[-1].path


# --------------------------------------------------------------------------------------------
# Every public callable, every argument (a table of its own; CASES above stays as it is).
# Public: the callables in qkv_lib.__all__, in the core modules' __all__ and in
# qkv_lib.examples.__all__, with the public methods of their classes.
# test_every_public_argument_has_a_row fails when one of their arguments has no row here, no
# row in CASES (ARGUMENTS_IN_CASES) and no reason in NO_BAD_VALUE: new functions add rows.


class Row(NamedTuple):
    target: object  # the public function, class (its constructor) or method
    argument: str  # the argument given the bad value; the message must name it
    what: str  # the bad value, for the test id
    call: Callable[[], object]
    exception: type[Exception]
    fragments: tuple[str, ...] = ()  # more text the message must contain (shapes, dtypes)


def bad_ints(target, argument, call, *, minimum=1) -> list[Row]:
    """Rows for an int argument: 0 or a negative, a bool and a float are refused."""
    too_small = minimum - 1
    return [
        Row(target, argument, str(too_small), partial(call, too_small), ValueError),
        Row(target, argument, "-3", partial(call, -3), ValueError, ("-3",)),
        Row(target, argument, "bool", partial(call, True), TypeError, ("bool",)),
        Row(target, argument, "float", partial(call, 2.5), TypeError, ("float",)),
    ]


def row_id(row: Row) -> str:
    return f"{row.target.__qualname__}-{row.argument}-{row.what}"


MHA, Proj, ex = qkv.MultiHeadAttention, qkv.QKVProjection, qkv.examples
mha4 = qkv.MultiHeadAttention(4, 2)
q4 = torch.randn(1, 3, 4)
lookup_model = ex.LookupModel()
lookup_batch = ex.make_lookup_batch(4, generator=torch.Generator().manual_seed(0))
x34 = torch.randn(3, 4)  # (T, Dk)
q_heads, kv_heads = torch.randn(1, 4, 3, 2), torch.randn(1, 2, 5, 2)  # (B, H, T, Dh), (B, G, S, Dh)
ints = torch.ones(3, 4, dtype=torch.long)


def cache_holding(dtype: torch.dtype = torch.float32) -> qkv.KVCache:
    """A cache that holds k (2, 3, 4) and v (2, 3, 5)."""
    cache = qkv.KVCache()
    cache.append(torch.randn(2, 3, 4, dtype=dtype), torch.randn(2, 3, 5, dtype=dtype))
    return cache


ROWS: list[Row] = [
    Row(qkv.check, "exercise_id", "int", lambda: qkv.check(3, None), TypeError, ("int",)),
    # masks
    *bad_ints(qkv.causal_mask, "T", lambda n: qkv.causal_mask(n)),
    *bad_ints(qkv.causal_mask, "S", lambda n: qkv.causal_mask(3, n)),
    Row(qkv.causal_mask, "device", "nope", lambda: qkv.causal_mask(3, device="nope"), ValueError),
    Row(qkv.causal_mask, "device", "float", lambda: qkv.causal_mask(3, device=1.5), TypeError),
    Row(qkv.key_padding_mask, "lengths", "str", lambda: qkv.key_padding_mask("ab", 5), TypeError),
    Row(qkv.key_padding_mask, "lengths", "None", lambda: qkv.key_padding_mask(None, 5), TypeError),
    Row(
        qkv.key_padding_mask,
        "lengths",
        "2-D",
        lambda: qkv.key_padding_mask([[1, 2]], 5),
        ValueError,
        ("1-D", "(1, 2)"),
    ),
    *bad_ints(qkv.key_padding_mask, "S", lambda n: qkv.key_padding_mask([1], n)),
    Row(
        qkv.sdpa_mask_from_mha, "mask", "list", lambda: qkv.sdpa_mask_from_mha([[True]]), TypeError
    ),
    Row(
        qkv.sdpa_mask_from_mha,
        "mask",
        "int64",
        lambda: qkv.sdpa_mask_from_mha(ints),
        TypeError,
        ("torch.int64", "(3, 4)"),
    ),
    Row(qkv.mha_mask_from_sdpa, "mask", "str", lambda: qkv.mha_mask_from_sdpa("m"), TypeError),
    Row(
        qkv.mha_mask_from_sdpa,
        "mask",
        "uint8",
        lambda: qkv.mha_mask_from_sdpa(ints.byte()),
        TypeError,
        ("torch.uint8",),
    ),
    Row(qkv.additive_mask, "may_attend", "list", lambda: qkv.additive_mask([True]), TypeError),
    Row(
        qkv.additive_mask,
        "may_attend",
        "int64",
        lambda: qkv.additive_mask(ints),
        TypeError,
        ("int64",),
    ),
    Row(
        qkv.additive_mask,
        "dtype",
        "str",
        lambda: qkv.additive_mask(ints.bool(), "float32"),
        TypeError,
        ("'float32'",),
    ),
    Row(
        qkv.additive_mask,
        "dtype",
        "int64",
        lambda: qkv.additive_mask(ints.bool(), torch.int64),
        TypeError,
        ("torch.int64",),
    ),
    # attention, heads, grouped-query attention
    Row(
        qkv.scaled_dot_product_attention,
        "scale",
        "bool",
        lambda: qkv.scaled_dot_product_attention(x34, x34, x34, scale=True),
        TypeError,
        ("bool",),
    ),
    Row(qkv.masked_softmax, "scores", "list", lambda: qkv.masked_softmax([1.0]), TypeError),
    Row(
        qkv.masked_softmax,
        "scores",
        "int64",
        lambda: qkv.masked_softmax(ints),
        TypeError,
        ("torch.int64",),
    ),
    Row(qkv.masked_softmax, "dim", "3", lambda: qkv.masked_softmax(x34, dim=3), ValueError),
    Row(qkv.masked_softmax, "dim", "float", lambda: qkv.masked_softmax(x34, 1.0), TypeError),
    Row(
        qkv.scaled_dot_product_attention,
        "is_causal",
        "str",
        lambda: qkv.scaled_dot_product_attention(x34, x34, x34, is_causal="no"),
        TypeError,
        ("str",),
    ),
    Row(
        qkv.grouped_query_attention,
        "is_causal",
        "str",
        lambda: qkv.grouped_query_attention(q_heads, kv_heads, kv_heads, is_causal="no"),
        TypeError,
        ("str",),
    ),
    *bad_ints(qkv.split_heads, "num_heads", lambda n: qkv.split_heads(q4, n)),
    Row(qkv.merge_heads, "x", "list", lambda: qkv.merge_heads([[[1.0]]]), TypeError, ("list",)),
    Row(qkv.repeat_kv_heads, "x", "list", lambda: qkv.repeat_kv_heads([1.0], 2), TypeError),
    Row(
        qkv.repeat_kv_heads,
        "x",
        "2-D",
        lambda: qkv.repeat_kv_heads(x34, 2),
        ValueError,
        ("at least 3", "(3, 4)"),
    ),
    *bad_ints(qkv.repeat_kv_heads, "num_heads", lambda n: qkv.repeat_kv_heads(kv_heads, n)),
    Row(
        qkv.repeat_kv_heads,
        "num_heads",
        "not-a-multiple",
        lambda: qkv.repeat_kv_heads(kv_heads, 3),
        ValueError,
        ("num_heads = 3", "G = 2", "(1, 2, 5, 2)"),
    ),
    Row(
        qkv.grouped_query_attention,
        "query",
        "2-D",
        lambda: qkv.grouped_query_attention(x34, kv_heads, kv_heads),
        ValueError,
        ("at least 3", "(3, 4)"),
    ),
    Row(
        qkv.grouped_query_attention,
        "key",
        "int64",
        lambda: qkv.grouped_query_attention(q_heads, kv_heads.long(), kv_heads),
        TypeError,
        ("torch.int64",),
    ),
    Row(
        qkv.grouped_query_attention,
        "value",
        "other-G",
        lambda: qkv.grouped_query_attention(q_heads, kv_heads, kv_heads[:, :1]),
        ValueError,
        ("key", "(1, 2, 5, 2)", "(1, 1, 5, 2)"),
    ),
    Row(
        qkv.grouped_query_attention,
        "query",
        "H-not-multiple-of-G",
        lambda: qkv.grouped_query_attention(q_heads[:, :3], kv_heads, kv_heads),
        ValueError,
        ("H = 3", "G = 2"),
    ),
    Row(
        qkv.grouped_query_attention,
        "attn_mask",
        "shape",
        lambda: qkv.grouped_query_attention(q_heads, kv_heads, kv_heads, torch.ones(5, 3) > 0),
        ValueError,
        ("(..., T, S)", "(5, 3)"),
    ),
    Row(
        qkv.grouped_query_attention,
        "scale",
        "str",
        lambda: qkv.grouped_query_attention(q_heads, kv_heads, kv_heads, scale="1"),
        TypeError,
        ("str",),
    ),
    # rotary position embeddings and the KV cache
    Row(qkv.rotary, "x", "list", lambda: qkv.rotary([[1.0, 2.0]]), TypeError, ("list",)),
    Row(qkv.rotary, "x", "1-D", lambda: qkv.rotary(torch.ones(4)), ValueError, ("(4,)",)),
    Row(qkv.rotary, "x", "int64", lambda: qkv.rotary(ints), TypeError, ("torch.int64",)),
    Row(qkv.rotary, "x", "odd-Dk", lambda: qkv.rotary(torch.ones(3, 5)), ValueError, ("(3, 5)",)),
    Row(qkv.rotary, "positions", "list", lambda: qkv.rotary(x34, [0, 1, 2]), TypeError),
    Row(
        qkv.rotary,
        "positions",
        "bool",
        lambda: qkv.rotary(x34, torch.ones(3, dtype=torch.bool)),
        TypeError,
        ("torch.bool",),
    ),
    Row(
        qkv.rotary,
        "positions",
        "shape",
        lambda: qkv.rotary(x34, torch.arange(4)),
        ValueError,
        ("(4,)", "(3, 4)"),
    ),
    Row(qkv.rotary, "base", "str", lambda: qkv.rotary(x34, base="10"), TypeError, ("str",)),
    Row(qkv.rotary, "base", "bool", lambda: qkv.rotary(x34, base=True), TypeError, ("bool",)),
    Row(qkv.rotary, "base", "1", lambda: qkv.rotary(x34, base=1), ValueError, ("greater than 1",)),
    Row(qkv.rotary, "base", "inf", lambda: qkv.rotary(x34, base=math.inf), ValueError, ("finite",)),
    Row(qkv.KVCache.append, "k", "list", lambda: qkv.KVCache().append([1.0], x34), TypeError),
    Row(
        qkv.KVCache.append,
        "k",
        "1-D",
        lambda: qkv.KVCache().append(torch.ones(4), x34),
        ValueError,
        ("(4,)",),
    ),
    Row(
        qkv.KVCache.append,
        "k",
        "int64",
        lambda: qkv.KVCache().append(ints, x34),
        TypeError,
        ("torch.int64",),
    ),
    Row(
        qkv.KVCache.append,
        "v",
        "float64",
        lambda: qkv.KVCache().append(x34, x34.double()),
        TypeError,
        ("k torch.float32", "v torch.float64"),
    ),
    Row(
        qkv.KVCache.append,
        "v",
        "other-T",
        lambda: qkv.KVCache().append(x34, torch.randn(2, 4)),
        ValueError,
        ("k", "(3, 4)", "(2, 4)"),
    ),
    Row(
        qkv.KVCache.append,
        "k",
        "other-Dk",
        lambda: cache_holding().append(torch.randn(2, 1, 3), torch.randn(2, 1, 5)),
        ValueError,
        ("(2, 1, 3)", "(2, 3, 4)"),
    ),
    Row(
        qkv.KVCache.append,
        "k",
        "cache-dtype",
        lambda: cache_holding(torch.float64).append(torch.randn(2, 1, 4), torch.randn(2, 1, 5)),
        TypeError,
        ("torch.float32", "torch.float64"),
    ),
    *[
        row
        for name in ("layers", "kv_heads", "head_dim", "bytes_per_element", "tokens")
        for row in bad_ints(
            qkv.kv_cache_bytes,
            name,
            lambda n, name=name: qkv.kv_cache_bytes(
                **{"layers": 1, "kv_heads": 1, "head_dim": 1, "bytes_per_element": 2, name: n}
            ),
        )
    ],
    # the projections and the module
    *bad_ints(Proj, "input_dim", lambda n: Proj(n, 4)),
    *bad_ints(Proj, "attention_dim", lambda n: Proj(4, n)),
    *bad_ints(Proj, "kdim", lambda n: Proj(4, 4, kdim=n)),
    *bad_ints(Proj, "vdim", lambda n: Proj(4, 4, vdim=n)),
    Row(Proj, "bias", "str", lambda: Proj(4, 4, bias="no"), TypeError, ("str",)),
    Row(Proj, "bias", "None", lambda: Proj(4, 4, bias=None), TypeError, ("NoneType",)),
    Row(Proj, "device", "nope", lambda: Proj(4, 4, device="nope"), ValueError, ("'nope'",)),
    Row(Proj, "device", "float", lambda: Proj(4, 4, device=1.5), TypeError, ("float",)),
    Row(Proj, "dtype", "str", lambda: Proj(4, 4, dtype="float32"), TypeError, ("'float32'",)),
    Row(Proj, "dtype", "int64", lambda: Proj(4, 4, dtype=torch.int64), TypeError, ("torch.int64",)),
    Row(Proj.forward, "query", "list", lambda: Proj(4, 4)([1.0] * 4), TypeError, ("list",)),
    Row(
        Proj.forward,
        "query",
        "int64",
        lambda: Proj(4, 4)(ints),
        TypeError,
        ("torch.int64", "(3, 4)"),
    ),
    Row(
        Proj.forward,
        "key",
        "width",
        lambda: Proj(4, 4)(x34, torch.randn(5, 3)),
        ValueError,
        ("kdim = 4", "(5, 3)"),
    ),
    Row(
        Proj.forward,
        "value",
        "width",
        lambda: Proj(4, 4)(x34, x34, torch.randn(3, 2)),
        ValueError,
        ("vdim = 4", "(3, 2)"),
    ),
    *bad_ints(MHA, "embed_dim", lambda n: MHA(n, 1)),
    *bad_ints(MHA, "num_heads", lambda n: MHA(4, n)),
    *bad_ints(MHA, "kdim", lambda n: MHA(4, 2, kdim=n)),
    *bad_ints(MHA, "vdim", lambda n: MHA(4, 2, vdim=n)),
    Row(MHA, "bias", "str", lambda: MHA(4, 2, bias="no"), TypeError, ("str",)),
    Row(MHA, "device", "nope", lambda: MHA(4, 2, device="nope"), ValueError, ("'nope'",)),
    Row(MHA, "dtype", "int64", lambda: MHA(4, 2, dtype=torch.int64), TypeError, ("torch.int64",)),
    Row(MHA, "batch_first", "str", lambda: MHA(4, 2, batch_first="no"), TypeError, ("str",)),
    Row(MHA.forward, "need_weights", "str", lambda: mha4(q4, need_weights="no"), TypeError),
    Row(
        MHA.forward,
        "average_attn_weights",
        "str",
        lambda: mha4(q4, average_attn_weights="no"),
        TypeError,
    ),
    Row(MHA.forward, "is_causal", "str", lambda: mha4(q4, is_causal="no"), TypeError),
    # retrieval
    Row(
        retrieval.exact_lookup,
        "query",
        "list",
        lambda: retrieval.exact_lookup(["a"], {}),
        TypeError,
    ),
    Row(
        retrieval.exact_lookup, "table", "list", lambda: retrieval.exact_lookup("a", []), TypeError
    ),
    Row(
        retrieval.soft_lookup,
        "query",
        "3-D",
        lambda: retrieval.soft_lookup(torch.ones(1, 1, 4), x34, x34),
        ValueError,
        ("(1, 1, 4)",),
    ),
    Row(
        retrieval.soft_lookup,
        "keys",
        "1-D",
        lambda: retrieval.soft_lookup(x34, x34[0], x34),
        ValueError,
    ),
    Row(
        retrieval.soft_lookup,
        "keys",
        "int64",
        lambda: retrieval.soft_lookup(x34, ints, x34),
        TypeError,
        ("torch.int64",),
    ),
    Row(
        retrieval.soft_lookup,
        "values",
        "float64",
        lambda: retrieval.soft_lookup(x34, x34, x34.double()),
        TypeError,
        ("keys torch.float32", "values torch.float64"),
    ),
    Row(
        retrieval.soft_lookup,
        "values",
        "other-S",
        lambda: retrieval.soft_lookup(x34, x34, torch.randn(2, 4)),
        ValueError,
        ("S=3", "(2, 4)"),
    ),
    *[
        Row(
            retrieval.soft_lookup,
            "temperature",
            what,
            partial(retrieval.soft_lookup, x34, x34, x34, t),
            error,
        )
        for what, t, error in (
            ("0", 0, ValueError),
            ("-1", -1.0, ValueError),
            ("inf", math.inf, ValueError),
            ("str", "1", TypeError),
            ("bool", True, TypeError),
        )
    ],
    # notebook set-up
    Row(qkv.setup_notebook, "seed", "str", lambda: qkv.setup_notebook("0"), TypeError, ("str",)),
    Row(
        qkv.setup_notebook, "seed", "float", lambda: qkv.setup_notebook(1.5), TypeError, ("float",)
    ),
    # the worked examples (qkv.examples)
    Row(ex.time_call, "fn", "None", lambda: ex.time_call(None), TypeError, ("NoneType",)),
    *bad_ints(ex.time_call, "repeats", lambda n: ex.time_call(lambda: None, n)),
    Row(
        ex.largest_new_tensor, "fn", "str", lambda: ex.largest_new_tensor("f"), TypeError, ("str",)
    ),
    Row(
        ex.largest_new_tensor,
        "args",
        "list",
        lambda: ex.largest_new_tensor(print, [1.0]),
        TypeError,
        ("args[0]", "list"),
    ),
    Row(ex.attention_costs, "sizes", "int", lambda: ex.attention_costs(4), TypeError, ("int",)),
    Row(ex.attention_costs, "sizes", "empty", lambda: ex.attention_costs([]), ValueError),
    Row(ex.attention_costs, "sizes", "0", lambda: ex.attention_costs([2, 0]), ValueError, ("[1]",)),
    *[
        row
        for name in ("batch", "heads", "head_dim", "repeats")
        for row in bad_ints(
            ex.attention_costs, name, lambda n, name=name: ex.attention_costs([2], **{name: n})
        )
    ],
    Row(
        ex.attention_costs,
        "generator",
        "int",
        lambda: ex.attention_costs([2], generator=0),
        TypeError,
        ("torch.Generator", "int"),
    ),
    Row(ex.loglog_slope, "sizes", "None", lambda: ex.loglog_slope(None, [1, 2]), TypeError),
    Row(ex.loglog_slope, "sizes", "equal", lambda: ex.loglog_slope([2, 2], [1, 3]), ValueError),
    Row(ex.loglog_slope, "values", "str", lambda: ex.loglog_slope([1, 2], "ab"), TypeError),
    Row(
        ex.loglog_slope,
        "values",
        "length",
        lambda: ex.loglog_slope([1, 2, 3], [1, 2]),
        ValueError,
        ("sizes", "(3,)", "(2,)"),
    ),
    Row(
        ex.loglog_slope, "values", "negative", lambda: ex.loglog_slope([1, 2], [-1, 2]), ValueError
    ),
    Row(ex.flow_mask, "mask", "unknown", lambda: ex.flow_mask("diagonal"), ValueError, ("causal",)),
    Row(ex.flow_steps, "mask", "None", lambda: ex.flow_steps(mask=None), ValueError, ("padding",)),
    Row(ex.flow_steps, "scaling", "str", lambda: ex.flow_steps(scaling="no"), TypeError, ("str",)),
    *bad_ints(ex.head_weights, "num_heads", ex.head_weights),
    Row(ex.head_weights, "num_heads", "list", lambda: ex.head_weights([2]), TypeError, ("list",)),
    Row(ex.head_weights, "num_heads", "5", lambda: ex.head_weights(5), ValueError, ("= 5",)),
    *bad_ints(ex.heads_layer, "num_heads", ex.heads_layer),
    Row(ex.heads_layer, "num_heads", "5", lambda: ex.heads_layer(5), ValueError, ("= 5",)),
    Row(ex.token_name, "position", "6", lambda: ex.token_name(6), ValueError, ("0 to 5",)),
    Row(ex.token_name, "position", "-1", lambda: ex.token_name(-1), ValueError, ("0 to 5",)),
    Row(ex.token_name, "position", "bool", lambda: ex.token_name(True), TypeError, ("bool",)),
    Row(ex.token_name, "position", "float", lambda: ex.token_name(1.0), TypeError, ("float",)),
    *bad_ints(ex.top_keys, "num_heads", lambda n: ex.top_keys(n, 0)),
    *bad_ints(ex.top_keys, "query", lambda n: ex.top_keys(2, n), minimum=0),
    Row(ex.top_keys, "query", "6", lambda: ex.top_keys(2, 6), ValueError, ("0 to 5",)),
    *[
        row
        for name in ("n_keys", "n_values", "embed_dim", "num_heads")
        for row in bad_ints(ex.LookupModel, name, lambda n, name=name: ex.LookupModel(**{name: n}))
    ],
    Row(
        ex.LookupModel, "num_heads", "3", lambda: ex.LookupModel(num_heads=3), ValueError, ("= 3",)
    ),
    Row(
        ex.LookupModel,
        "learn_embeddings",
        "str",
        lambda: ex.LookupModel(learn_embeddings="yes"),
        TypeError,
        ("str",),
    ),
    Row(ex.LookupModel, "seed", "float", lambda: ex.LookupModel(seed=1.5), TypeError, ("float",)),
    Row(ex.LookupModel, "seed", "bool", lambda: ex.LookupModel(seed=True), TypeError, ("bool",)),
    Row(
        ex.LookupModel.forward,
        "query",
        "float",
        lambda: lookup_model(lookup_batch.query.float(), lookup_batch.keys, lookup_batch.values),
        TypeError,
        ("torch.long", "torch.float32"),
    ),
    Row(
        ex.LookupModel.forward,
        "query",
        "2-D",
        lambda: lookup_model(lookup_batch.keys, lookup_batch.keys, lookup_batch.values),
        ValueError,
        ("(B,)", "(4, 6)"),
    ),
    Row(
        ex.LookupModel.forward,
        "query",
        "ids",
        lambda: lookup_model(lookup_batch.query + 8, lookup_batch.keys, lookup_batch.values),
        ValueError,
        ("0 to 7",),
    ),
    Row(
        ex.LookupModel.forward,
        "keys",
        "list",
        lambda: lookup_model(lookup_batch.query, [[1]], lookup_batch.values),
        TypeError,
        ("list",),
    ),
    Row(
        ex.LookupModel.forward,
        "values",
        "shape",
        lambda: lookup_model(lookup_batch.query, lookup_batch.keys, lookup_batch.values[:, :2]),
        ValueError,
        ("keys", "(4, 6)", "(4, 2)"),
    ),
    Row(
        ex.LookupModel.forward,
        "values",
        "ids",
        lambda: lookup_model(lookup_batch.query, lookup_batch.keys, lookup_batch.values - 9),
        ValueError,
        ("0 to 7",),
    ),
    Row(ex.match_scores, "model", "str", lambda: ex.match_scores("m"), TypeError, ("str",)),
    Row(ex.evaluate, "model", "str", lambda: ex.evaluate("m", lookup_batch), TypeError, ("str",)),
    Row(
        ex.evaluate,
        "batch",
        "tuple",
        lambda: ex.evaluate(lookup_model, tuple(lookup_batch)),
        TypeError,
        ("tuple",),
    ),
    Row(ex.query_at_angle, "degrees", "str", lambda: ex.query_at_angle("30"), TypeError, ("str",)),
    Row(ex.query_at_angle, "degrees", "nan", lambda: ex.query_at_angle(math.nan), ValueError),
    Row(
        ex.query_at_angle,
        "degrees",
        "tensor",
        lambda: ex.query_at_angle(torch.tensor(30.0)),
        TypeError,
        ("Tensor",),
    ),
    Row(
        ex.query_at_angle, "length", "str", lambda: ex.query_at_angle(30, "2"), TypeError, ("str",)
    ),
    Row(ex.query_at_angle, "length", "-1", lambda: ex.query_at_angle(30, -1), ValueError, ("-1",)),
    *bad_ints(
        ex.make_lookup_batch, "batch_size", lambda n: ex.make_lookup_batch(n, generator=None)
    ),
    *[
        row
        for name in ("n_pairs", "n_keys", "n_values")
        for row in bad_ints(
            ex.make_lookup_batch,
            name,
            lambda n, name=name: ex.make_lookup_batch(2, **{name: n}, generator=None),
        )
    ],
    Row(
        ex.make_lookup_batch,
        "n_pairs",
        "more-than-keys",
        lambda: ex.make_lookup_batch(2, 9, 8, generator=None),
        ValueError,
        ("n_pairs = 9", "n_keys = 8"),
    ),
    Row(
        ex.make_lookup_batch,
        "generator",
        "None",
        lambda: ex.make_lookup_batch(2, generator=None),
        TypeError,
        ("NoneType",),
    ),
    Row(ex.LookupBatch.example, "i", "4", lambda: lookup_batch.example(4), ValueError, ("0 to 3",)),
    Row(ex.LookupBatch.example, "i", "float", lambda: lookup_batch.example(1.0), TypeError),
    Row(ex.LookupBatch.example, "i", "str", lambda: lookup_batch.example("1"), TypeError),
    Row(ex.project_tokens, "angle_q", "str", lambda: ex.project_tokens("0"), TypeError, ("str",)),
    Row(ex.project_tokens, "angle_q", "nan", lambda: ex.project_tokens(math.nan), ValueError),
    Row(ex.project_tokens, "scale_q", "str", lambda: ex.project_tokens(0, "1"), TypeError),
    Row(ex.project_tokens, "angle_k", "None", lambda: ex.project_tokens(0, 1, None), TypeError),
    Row(ex.rotation, "degrees", "str", lambda: ex.rotation("30"), TypeError, ("str",)),
    Row(ex.rotation, "degrees", "bool", lambda: ex.rotation(True), TypeError, ("bool",)),
    Row(
        ex.source_attention,
        "query_source",
        "unknown",
        lambda: ex.source_attention("memory"),
        ValueError,
        ("decoder", "encoder"),
    ),
    Row(
        ex.source_attention,
        "kv_source",
        "unknown",
        lambda: ex.source_attention("decoder", None),
        ValueError,
    ),
    Row(
        ex.source_attention,
        "projections",
        "str",
        lambda: ex.source_attention(projections="no"),
        TypeError,
        ("str",),
    ),
]


#: Arguments whose bad-value row is in CASES above: (target, argument) -> that row's id.
ARGUMENTS_IN_CASES = {
    (qkv.scaled_dot_product_attention, "query"): "sdpa-list-query",
    (qkv.scaled_dot_product_attention, "key"): "sdpa-int-key",
    (qkv.scaled_dot_product_attention, "value"): "sdpa-1d-value",
    (qkv.scaled_dot_product_attention, "attn_mask"): "sdpa-mask-shape",
    (qkv.split_heads, "x"): "split-not-tensor",
    (MHA.forward, "query"): "mha-query-width",
    (MHA.forward, "key"): "mha-key-width",
    (MHA.forward, "value"): "mha-value-width",
    (MHA.forward, "key_padding_mask"): "mha-padding-shape",
    (MHA.forward, "attn_mask"): "mha-attn-shape",
    (MHA.from_torch, "module"): "from-torch-type",
}

#: Arguments with no bad value, and why.
NO_BAD_VALUE = {
    (qkv.check, "answer"): "check never raises because of the answer: it reports on it",
}

#: Classes that only hold what a function returns: their fields are not checked.
RECORDS = (
    ex.AttentionCosts,
    ex.LookupBatch,
    ex.LookupOutput,
    ex.ProjectedTokens,
    ex.SourceAttention,
    ex.ToyTable,
)


@pytest.mark.parametrize("row", [pytest.param(r, id=row_id(r)) for r in ROWS])
def test_every_argument_gets_a_clear_error(row):
    with pytest.raises(row.exception) as info:
        row.call()
    message = str(info.value)
    for fragment in (row.argument, *row.fragments):
        assert fragment in message, f"{fragment!r} missing from: {message}"
    # raised on purpose by qkv_lib (a `raise` statement of ours), not from inside torch
    last = info.traceback[-1]
    assert "qkv_lib" in last.path.parts, last.path
    assert str(last.statement).lstrip().startswith("raise"), f"{last.path}:{last.lineno + 1}"


def unwrap(target: object) -> object:
    return getattr(target, "__func__", target)  # a classmethod looked up on its class


#: The core maths (qkv_lib/__init__.py): their public names count even when qkv_lib.__all__
#: does not repeat them (retrieval's).
CORE_MODULES = (
    qkv.attention,
    qkv.grouped,
    qkv.heads,
    qkv.kv_cache,
    qkv.masks,
    qkv.modules,
    qkv.projections,
    qkv.retrieval,
    qkv.rope,
)


def public_arguments() -> dict[tuple[object, str], str]:
    """Every argument of every public callable and method: (target, argument) -> its name."""
    names = [(qkv, name) for name in qkv.__all__]
    names += [(m, name) for m in (*CORE_MODULES, ex) for name in m.__all__]
    found = {}
    for owner, name in names:
        obj = getattr(owner, name)
        if inspect.ismodule(obj) or not callable(obj):
            continue
        targets = [obj]
        if inspect.isclass(obj):
            targets = [] if obj in RECORDS else [obj]
            targets += [
                getattr(obj, attr)
                for attr, value in vars(obj).items()
                if not attr.startswith("_") and isinstance(value, (FunctionType, classmethod))
            ]
        for target in targets:
            for parameter in inspect.signature(target).parameters:
                if parameter not in ("self", "cls"):
                    found[unwrap(target), parameter] = f"{target.__qualname__}({parameter})"
    return found


def test_every_public_argument_has_a_row():
    covered = {(unwrap(r.target), r.argument) for r in ROWS}
    case_ids = {c[0] for c in CASES}
    for (target, argument), case_id in ARGUMENTS_IN_CASES.items():
        assert case_id in case_ids, f"ARGUMENTS_IN_CASES names a missing case {case_id!r}"
        covered.add((unwrap(target), argument))
    covered |= {(unwrap(t), a) for t, a in NO_BAD_VALUE}
    public = public_arguments()
    missing = sorted(name for key, name in public.items() if key not in covered)
    assert not missing, f"public arguments without a bad-input row: {missing}"
    stale = sorted(f"{t.__qualname__}({a})" for t, a in covered if (t, a) not in public)
    assert not stale, f"rows for arguments that are not public or do not exist: {stale}"
    for record in RECORDS:
        assert dataclasses.is_dataclass(record) or issubclass(record, tuple), record
