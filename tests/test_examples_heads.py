"""Tests for qkv_lib.examples.heads, chapter 5's example: six hand-made heads, six jobs."""

from __future__ import annotations

import math

import pytest
import torch

import qkv_lib as qkv
from qkv_lib.examples import heads as ex
from qkv_lib.widgets import heads as hd


def _by_hand(num_heads: int) -> torch.Tensor:
    """The example's per-head weights (H, T, T), computed without the library's layer."""
    x, W_q, W_k, _, _ = ex._example()  # (T, E), (E, E), (E, E)
    Dh = ex.EMBED_DIM // num_heads
    q, k = x @ W_q, x @ W_k  # (T, E) each
    maps = []
    for h in range(num_heads):
        cols = slice(h * Dh, (h + 1) * Dh)  # head h's columns
        scores = q[:, cols] @ k[:, cols].T / math.sqrt(Dh)  # (T, T)
        maps.append(torch.softmax(scores, dim=-1))
    return torch.stack(maps)  # (H, T, T)


def test_example_has_the_documented_shapes():
    x, tokens = ex.heads_example()
    assert x.shape == (1, len(ex.TOKENS), ex.EMBED_DIM) == (1, 6, 12)  # (B, T, E)
    assert tokens == ex.TOKENS
    assert (x.sum(-1) == 2).all()  # one-hot position + one-hot word
    x[0, 0, 0] = 99.0  # callers get a copy
    assert ex.heads_example()[0][0, 0, 0] == 1.0


@pytest.mark.parametrize("num_heads", hd.HEAD_CHOICES)
def test_head_weights_match_a_computation_by_hand_and_pytorch(num_heads):
    weights = ex.head_weights(num_heads)
    assert weights.shape == (num_heads, 6, 6)  # (H, T, S)
    torch.testing.assert_close(weights, _by_hand(num_heads))
    torch.testing.assert_close(weights.sum(-1), torch.ones(num_heads, 6))
    x, _ = ex.heads_example()
    reference = ex.heads_layer(num_heads).to_torch()
    with torch.no_grad():
        _, torch_weights = reference(x, x, x, average_attn_weights=False)  # (1, H, T, T)
    torch.testing.assert_close(weights, torch_weights[0])


def test_the_layer_has_the_same_weights_for_every_number_of_heads():
    states = [ex.heads_layer(h).state_dict() for h in hd.HEAD_CHOICES]
    for state in states[1:]:
        assert state.keys() == states[0].keys()
        for name, tensor in state.items():
            assert torch.equal(tensor, states[0][name]), name
    assert ex.heads_layer(12).head_dim == 1  # any divisor of E works, not only the grid's


def test_building_the_example_leaves_the_global_rng_alone():
    before = torch.get_rng_state()
    ex.heads_layer(4)
    ex.head_weights(3)
    assert torch.equal(torch.get_rng_state(), before)


def test_the_six_heads_do_their_jobs():
    best = ex.head_weights(6).argmax(dim=-1).tolist()  # (H, T): each query's favourite key
    assert best[0] == [0, 0, 1, 2, 3, 4]  # previous token (the first token: itself)
    assert best[1] == [0, 1, 2, 3, 4, 5]  # the token itself
    assert best[2] == [1, 2, 3, 4, 5, 5]  # next token (the last token: itself)
    assert best[3] == [0] * 6  # the first token
    assert best[5] == [2] * 6  # the verb, "sat"
    nouns = ex.head_weights(6)[4]  # (T, S): "cat" and "mat" share the weight
    torch.testing.assert_close(nouns[:, 1], nouns[:, 5])
    assert (nouns[:, 1] > 0.45).all()
    assert len(ex.HEAD_JOBS) == 6


def test_one_head_blurs_what_six_heads_keep_apart():
    one = ex.head_weights(1)[0]  # (T, S)
    six = ex.head_weights(6)  # (H, T, S)
    assert len({tuple(m.argmax(-1).tolist()) for m in six}) == 6  # six different patterns
    assert one.argmax(-1).tolist() == [0, 1, 2, 3, 4, 5]  # one head: mostly "itself"


def test_top_keys_names_ties_and_repeated_words():
    assert ex.token_name(0) == "the (0)" and ex.token_name(4) == "the (4)"
    assert ex.token_name(1) == "cat"
    top = ex.top_keys(6, 2)  # the query "sat"
    assert [keys for keys, _ in top] == [
        ("cat",),
        ("sat",),
        ("on",),
        ("the (0)",),
        ("cat", "mat"),  # a tie
        ("sat",),
    ]
    weights = ex.head_weights(6)[:, 2].max(dim=-1).values  # (H,)
    assert [w for _, w in top] == pytest.approx(weights.tolist())


def test_the_layer_is_the_library_module():
    layer = ex.heads_layer(3)
    assert isinstance(layer, qkv.MultiHeadAttention)
    assert layer.num_heads == 3 and layer.head_dim == 4
    assert layer.out_proj.bias is None and layer.in_proj.q_proj.bias is None
