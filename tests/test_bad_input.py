"""Bad input gets a TypeError or ValueError naming the argument and the shapes, before torch."""

import re

import pytest
import torch
from torch import nn

import qkv_lib as qkv

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
