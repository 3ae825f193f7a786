"""Multi-query and grouped-query attention (qkv_lib/grouped.py, chapter 8).

``qkv.grouped_query_attention`` must match PyTorch's
``scaled_dot_product_attention(..., enable_gqa=True)``, with and without masks, in float64
and float32, and query head h must use key/value head h // (H / G).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import qkv_lib as qkv
from qkv_lib.grouped import grouped_query_attention, repeat_kv_heads


def randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def qkv_heads(H=6, G=2, T=4, S=5, Dh=8, Dv=3, dtype=torch.float64):
    """q (B, H, T, Dh), k (B, G, S, Dh), v (B, G, S, Dv) with B = 2."""
    return (
        randn(2, H, T, Dh, seed=1, dtype=dtype),
        randn(2, G, S, Dh, seed=2, dtype=dtype),
        randn(2, G, S, Dv, seed=3, dtype=dtype),
    )


def test_is_exported_from_the_facade():
    assert qkv.grouped_query_attention is grouped_query_attention
    assert qkv.repeat_kv_heads is repeat_kv_heads


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("G", [1, 2, 3, 6])
@pytest.mark.parametrize("is_causal", [False, True])
def test_matches_pytorch_enable_gqa(dtype, G, is_causal):
    q, k, v = qkv_heads(G=G, T=5, S=5, dtype=dtype)
    out, weights = grouped_query_attention(q, k, v, is_causal=is_causal)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=is_causal, enable_gqa=True)
    torch.testing.assert_close(out, expected)
    assert out.shape == (2, 6, 5, 3) and weights.shape == (2, 6, 5, 5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 6, 5, dtype=dtype))


def test_a_bool_mask_means_may_attend_and_a_float_mask_is_added():
    q, k, v = qkv_heads(T=4, S=5)
    mask = torch.rand(4, 5, generator=torch.Generator().manual_seed(4)) > 0.4  # (T, S)
    mask[:, 0] = True  # every query keeps a key
    out, weights = grouped_query_attention(q, k, v, attn_mask=mask)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)
    torch.testing.assert_close(out, expected)
    assert (weights[..., ~mask] == 0).all()
    additive = qkv.additive_mask(mask, torch.float64)
    torch.testing.assert_close(grouped_query_attention(q, k, v, attn_mask=additive)[0], out)


def test_each_group_of_consecutive_query_heads_shares_one_key_value_head():
    q, k, v = qkv_heads(H=6, G=3)
    out, _ = grouped_query_attention(q, k, v)
    for h in range(6):
        g = h // 2  # H / G = 2 query heads per key/value head
        alone, _ = qkv.scaled_dot_product_attention(q[:, h], k[:, g], v[:, g])
        torch.testing.assert_close(out[:, h], alone)
    cycled = F.scaled_dot_product_attention(q, k.repeat(1, 2, 1, 1), v.repeat(1, 2, 1, 1))
    assert not torch.allclose(out, cycled)  # `repeat` pairs head h with h % G instead


def test_with_as_many_key_value_heads_as_query_heads_it_is_multi_head_attention():
    q, k, v = qkv_heads(H=4, G=4)
    torch.testing.assert_close(
        grouped_query_attention(q, k, v)[0], qkv.scaled_dot_product_attention(q, k, v)[0]
    )


def test_repeat_kv_heads_keeps_each_head_next_to_its_copies():
    x = torch.arange(3.0).view(1, 3, 1, 1).expand(1, 3, 2, 4)  # (B, G, S, Dh), head g holds g
    repeated = repeat_kv_heads(x, 6)  # (B, H, S, Dh)
    assert repeated.shape == (1, 6, 2, 4)
    assert repeated[0, :, 0, 0].tolist() == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]
    labels = torch.tensor([[[[1]], [[2]]]])  # integer heads are fine too: (1, 2, 1, 1)
    assert repeat_kv_heads(labels, 4).flatten().tolist() == [1, 1, 2, 2]


@pytest.mark.parametrize(
    ("shapes", "error", "words"),
    [
        (
            ((2, 6, 4, 8), (2, 4, 5, 8), (2, 4, 5, 8)),
            ValueError,
            ["H = 6", "G = 4", "(2, 4, 5, 8)"],
        ),
        (((2, 6, 4, 8), (2, 3, 5, 8), (2, 2, 5, 8)), ValueError, ["same number of heads G"]),
        (((4, 8), (5, 8), (5, 8)), ValueError, ["query", "at least 3 dimensions", "(4, 8)"]),
        (((2, 6, 4, 8), (2, 3, 5, 7), (2, 3, 5, 8)), ValueError, ["query and key", "(2, 6, 4, 8)"]),
    ],
)
def test_bad_shapes_are_named(shapes, error, words):
    q, k, v = (torch.ones(*s) for s in shapes)
    with pytest.raises(error) as raised:
        grouped_query_attention(q, k, v)
    for word in words:
        assert word in str(raised.value), (word, str(raised.value))


def test_bad_arguments_of_repeat_kv_heads_are_named():
    with pytest.raises(ValueError, match=r"num_heads = 5 .* G = 2 .*\(1, 2, 3, 4\)"):
        repeat_kv_heads(torch.ones(1, 2, 3, 4), 5)
    with pytest.raises(TypeError, match="num_heads must be an int"):
        repeat_kv_heads(torch.ones(1, 2, 3, 4), 2.0)
    with pytest.raises(TypeError, match=r"key must be a torch\.Tensor"):
        grouped_query_attention(torch.ones(1, 2, 3, 4), None, torch.ones(1, 2, 3, 4))
