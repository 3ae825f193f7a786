"""The KV cache, ``qkv.KVCache`` and ``qkv.kv_cache_bytes`` (qkv_lib/kv_cache.py, chapter 8).

Decoding one token at a time with a cache gives exactly the outputs of causal attention over
the whole sequence, and the cache's memory is 2 × H_kv × Dh × bytes per token and layer.
"""

from __future__ import annotations

import pytest
import torch

import qkv_lib as qkv
from qkv_lib.kv_cache import KVCache, kv_cache_bytes


def randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def decode(layer: qkv.MultiHeadAttention, x: torch.Tensor) -> torch.Tensor:
    """Feed ``x (B, T, E)`` one token at a time through ``layer`` with a cache; (B, T, E)."""
    cache, outputs = KVCache(), []
    for t in range(x.size(1)):
        q, k, v = layer.in_proj(x[:, t : t + 1])  # (B, 1, E) each: the new token only
        q, k, v = (qkv.split_heads(a, layer.num_heads) for a in (q, k, v))  # (B, H, 1, Dh)
        keys, values = cache.append(k, v)  # (B, H, t + 1, Dh)
        heads, _ = qkv.scaled_dot_product_attention(q, keys, values)  # (B, H, 1, Dh)
        outputs.append(layer.out_proj(qkv.merge_heads(heads)))  # (B, 1, E)
    return torch.cat(outputs, dim=1)


def test_is_exported_from_the_facade():
    assert qkv.KVCache is KVCache and qkv.kv_cache_bytes is kv_cache_bytes


@pytest.mark.parametrize("num_heads", [1, 4])
def test_decoding_with_the_cache_equals_causal_attention_over_the_sequence(num_heads):
    torch.manual_seed(0)
    layer = qkv.MultiHeadAttention(16, num_heads, dtype=torch.float64)
    x = randn(2, 7, 16)  # (B, T, E)
    with torch.no_grad():
        full, _ = layer(x, is_causal=True)  # (B, T, E)
        step_by_step = decode(layer, x)
    torch.testing.assert_close(step_by_step, full)
    without_mask, _ = layer(x)
    assert not torch.allclose(step_by_step, without_mask)  # the cache does not see the future


def test_plain_projections_and_sdpa_agree_too():
    x = randn(3, 6, 5, seed=1)  # (B, T, E)
    W_q, W_k, W_v = randn(5, 4, seed=2), randn(5, 4, seed=3), randn(5, 2, seed=4)
    full, _ = qkv.scaled_dot_product_attention(x @ W_q, x @ W_k, x @ W_v, is_causal=True)
    cache = KVCache()
    rows = []
    for t in range(6):
        x_t = x[:, t : t + 1]  # (B, 1, E)
        keys, values = cache.append(x_t @ W_k, x_t @ W_v)  # (B, t + 1, Dk), (B, t + 1, Dv)
        rows.append(qkv.scaled_dot_product_attention(x_t @ W_q, keys, values)[0])
    torch.testing.assert_close(torch.cat(rows, dim=1), full)


def test_append_grows_along_the_positions_axis_and_counts_bytes():
    cache = KVCache()
    assert len(cache) == 0 and cache.nbytes == 0 and repr(cache) == "KVCache(empty)"
    k1, v1 = randn(2, 3, 4, 8), randn(2, 3, 4, 5, seed=1)  # (B, H, S, Dk), (B, H, S, Dv)
    keys, values = cache.append(k1, v1)
    assert keys is k1 and values is v1 and len(cache) == 4
    k2, v2 = randn(2, 3, 1, 8, seed=2), randn(2, 3, 1, 5, seed=3)
    keys, values = cache.append(k2, v2)
    assert keys.shape == (2, 3, 5, 8) and values.shape == (2, 3, 5, 5) and len(cache) == 5
    assert torch.equal(keys[:, :, :4], k1) and torch.equal(keys[:, :, 4:], k2)
    assert torch.equal(cache.keys, keys) and torch.equal(cache.values, values)
    assert cache.nbytes == (2 * 3 * 5 * 8 + 2 * 3 * 5 * 5) * 8  # float64: 8 bytes
    assert "S=5" in repr(cache) and str(cache.nbytes) in repr(cache)


def test_the_bytes_are_two_times_heads_times_head_dim_times_element_size_per_token():
    B, H, T, Dh = 1, 4, 10, 8
    cache = KVCache()
    for _ in range(T):
        k = v = torch.zeros(B, H, 1, Dh, dtype=torch.float16)  # one new token
        cache.append(k, v)
    per_token = kv_cache_bytes(layers=1, kv_heads=H, head_dim=Dh, bytes_per_element=2)
    assert per_token == 2 * H * Dh * 2 == 128
    assert cache.nbytes == T * per_token


def test_a_7b_class_model_needs_half_a_mebibyte_per_token():
    per_token = kv_cache_bytes(layers=32, kv_heads=32, head_dim=128, bytes_per_element=2)
    assert per_token == 524_288 == 2**19
    context = kv_cache_bytes(layers=32, kv_heads=32, head_dim=128, bytes_per_element=2, tokens=4096)
    assert context == 2 * 2**30  # 2 GiB for 4096 tokens
    grouped = kv_cache_bytes(layers=32, kv_heads=8, head_dim=128, bytes_per_element=2)
    assert per_token // grouped == 4


def test_an_empty_cache_has_no_keys_or_values():
    for name in ("keys", "values"):
        with pytest.raises(ValueError, match="empty"):
            getattr(KVCache(), name)


@pytest.mark.parametrize(
    ("first", "second", "error", "words"),
    [
        (None, ("k", torch.ones(2, 3)), TypeError, ["k must be a torch.Tensor", "str"]),
        (None, (torch.ones(2, 3, 4), torch.ones(2, 5, 4)), ValueError, ["(2, 3, 4)", "(2, 5, 4)"]),
        (None, (torch.ones(3, 4), torch.ones(3, 4).double()), TypeError, ["dtype"]),
        (
            (torch.ones(2, 3, 4), torch.ones(2, 3, 6)),
            (torch.ones(1, 1, 4), torch.ones(1, 1, 6)),
            ValueError,
            ["k (1, 1, 4)", "(2, 3, 4)", "positions axis"],
        ),
        (
            (torch.ones(2, 3, 4), torch.ones(2, 3, 6)),
            (torch.ones(2, 1, 4), torch.ones(2, 1, 5)),
            ValueError,
            ["v (2, 1, 5)", "(2, 3, 6)"],
        ),
        (
            (torch.ones(2, 3, 4), torch.ones(2, 3, 6)),
            (torch.ones(2, 1, 4).double(), torch.ones(2, 1, 6).double()),
            TypeError,
            ["torch.float64", "torch.float32"],
        ),
    ],
)
def test_bad_appends_are_named(first, second, error, words):
    cache = KVCache()
    if first is not None:
        cache.append(*first)
    with pytest.raises(error) as raised:
        cache.append(*second)
    for word in words:
        assert word in str(raised.value), (word, str(raised.value))


@pytest.mark.parametrize(
    ("kwargs", "error", "word"),
    [
        ({"layers": 0}, ValueError, "layers"),
        ({"kv_heads": 2.5}, TypeError, "kv_heads"),
        ({"bytes_per_element": True}, TypeError, "bytes_per_element"),
        ({"tokens": -1}, ValueError, "tokens"),
    ],
)
def test_bad_sizes_are_named(kwargs, error, word):
    sizes = {"layers": 2, "kv_heads": 2, "head_dim": 4, "bytes_per_element": 2, **kwargs}
    with pytest.raises(error, match=word):
        kv_cache_bytes(**sizes)
