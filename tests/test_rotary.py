"""Rotary position embeddings, ``qkv.rotary`` (qkv_lib/rope.py, chapter 8).

The contract: pairs (i, i + Dk/2) are rotated by position · base^(-2i/Dk) (the "rotate half"
layout of GPT-NeoX and Llama), lengths are kept, and the score of a rotated query and a
rotated key depends on their positions only through the difference.
"""

from __future__ import annotations

import math

import pytest
import torch

import qkv_lib as qkv
from qkv_lib.rope import rotary


def randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def complex_reference(x, positions, base=10000.0):
    """The same rotation written with complex numbers: pair i is x_i + i·x_{i+Dk/2}."""
    half = x.size(-1) // 2
    z = torch.complex(x[..., :half], x[..., half:])  # (..., T, Dk/2)
    theta = base ** (-2 * torch.arange(half, dtype=torch.float64) / x.size(-1))  # (Dk/2,)
    turn = torch.polar(torch.ones_like(theta), positions.double()[..., None] * theta)
    rotated = z * turn
    return torch.cat([rotated.real, rotated.imag], dim=-1)


def test_is_exported_from_the_facade():
    assert qkv.rotary is rotary and "rotary" in qkv.__all__


def test_matches_the_complex_number_formula():
    x = randn(2, 3, 7, 8)  # (B, H, T, Dk)
    positions = torch.arange(7)
    torch.testing.assert_close(rotary(x), complex_reference(x, positions))
    shifted = positions * 3 + 11
    torch.testing.assert_close(rotary(x, shifted, base=500.0), complex_reference(x, shifted, 500.0))


def test_a_2d_vector_turns_by_its_position_in_radians():
    x = torch.tensor([[1.0, 0.0]] * 4, dtype=torch.float64)  # (T, Dk) = (4, 2): theta_0 = 1
    m = torch.arange(4, dtype=torch.float64)
    torch.testing.assert_close(rotary(x), torch.stack([m.cos(), m.sin()], dim=-1))


def test_pairs_are_the_two_halves_not_neighbours():
    """Rotate-half layout: feature i moves together with i + Dk/2 only."""
    x = torch.zeros(1, 3, 6, dtype=torch.float64)  # (B, T, Dk)
    x[..., 1] = 1.0  # feature 1: its partner is feature 4 (Dk/2 = 3), not feature 0 or 2
    out = rotary(x)
    assert torch.equal(out[..., [0, 2, 3, 5]], torch.zeros(1, 3, 4, dtype=torch.float64))
    assert (out[0, 1:, 4] != 0).all()


def test_the_interleaved_layout_is_the_same_rotation_on_permuted_features():
    """The RoFormer paper pairs neighbours (0, 1), (2, 3), ...: a permutation of ours."""
    x = randn(5, 8, seed=1)  # (T, Dk)
    order = torch.tensor([0, 2, 4, 6, 1, 3, 5, 7])  # neighbours' partners into the halves
    interleaved = torch.empty_like(x)
    interleaved[..., order] = rotary(x[..., order])
    pairs = interleaved.view(5, 4, 2)  # (T, Dk/2, 2): each pair kept its length
    torch.testing.assert_close(pairs.norm(dim=-1), x.view(5, 4, 2).norm(dim=-1))
    assert not torch.allclose(interleaved, rotary(x))


def test_lengths_are_kept_and_position_zero_is_the_identity():
    x = randn(2, 9, 16, seed=2)
    torch.testing.assert_close(rotary(x).norm(dim=-1), x.norm(dim=-1))
    torch.testing.assert_close(rotary(x, torch.zeros(9)), x)


@pytest.mark.parametrize("offset", [1, 37, 1000, 2.5])
def test_scores_depend_only_on_the_distance_between_positions(offset):
    q, k = randn(2, 4, 6, 8, seed=3), randn(2, 4, 6, 8, seed=4)  # (B, H, T, Dk)
    positions = torch.tensor([0, 3, 4, 9, 10, 20])
    scores = rotary(q, positions) @ rotary(k, positions).mT  # (B, H, T, T)
    moved = rotary(q, positions + offset) @ rotary(k, positions + offset).mT
    torch.testing.assert_close(moved, scores)
    plain = q @ k.mT
    assert not torch.allclose(scores, plain)  # the positions did change the scores


def test_attention_with_rotary_queries_and_keys_ignores_a_shift_of_every_position():
    """How chapter 8 uses it: rotate q and k, never v; shifting all positions changes nothing."""
    q, k, v = randn(1, 2, 5, 8, seed=5), randn(1, 2, 5, 8, seed=6), randn(1, 2, 5, 3, seed=7)
    positions = torch.arange(5)
    out, _ = qkv.scaled_dot_product_attention(rotary(q, positions), rotary(k, positions), v)
    shifted = positions + 100
    moved, _ = qkv.scaled_dot_product_attention(rotary(q, shifted), rotary(k, shifted), v)
    torch.testing.assert_close(moved, out)


def test_positions_broadcast_over_the_leading_axes():
    x = randn(2, 4, 6, seed=8)  # (B, T, Dk)
    per_sequence = torch.tensor([[0, 1, 2, 3], [5, 6, 7, 8]])  # (B, T)
    out = rotary(x, per_sequence)
    torch.testing.assert_close(out[1], rotary(x[1], torch.arange(5, 9)))


def test_float32_in_float32_out():
    x = randn(3, 10, 8, seed=9, dtype=torch.float32)
    out = rotary(x, torch.arange(10) + 4000)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, rotary(x.double(), torch.arange(10) + 4000).float())


@pytest.mark.parametrize(
    ("x", "kwargs", "error", "words"),
    [
        ([[1.0, 2.0]], {}, TypeError, ["x must be a torch.Tensor", "list"]),
        (torch.ones(3, 4, dtype=torch.long), {}, TypeError, ["floating-point", "(3, 4)"]),
        (torch.ones(4), {}, ValueError, ["at least 2 dimensions", "(4,)"]),
        (torch.ones(2, 3, 5), {}, ValueError, ["Dk = 5", "(2, 3, 5)", "even"]),
        (torch.ones(3, 4), {"positions": [0, 1, 2]}, TypeError, ["positions", "list"]),
        (
            torch.ones(3, 4),
            {"positions": torch.ones(3, dtype=torch.bool)},
            TypeError,
            ["positions", "bool"],
        ),
        (torch.ones(2, 3, 4), {"positions": torch.arange(4)}, ValueError, ["(4,)", "(2, 3)"]),
        (torch.ones(3, 4), {"base": 1.0}, ValueError, ["base", "greater than 1"]),
        (torch.ones(3, 4), {"base": "10000"}, TypeError, ["base", "str"]),
    ],
)
def test_bad_input_is_named(x, kwargs, error, words):
    with pytest.raises(error) as raised:
        rotary(x, **kwargs)
    for word in words:
        assert word in str(raised.value), (word, str(raised.value))


def test_the_first_pair_turns_fastest_and_the_last_slowest():
    x = torch.zeros(2, 8, dtype=torch.float64)
    x[:, :4] = 1.0  # one unit vector per pair, at angle 0
    out = rotary(x, torch.tensor([0, 1]))  # position 1: each pair turned by its frequency
    angles = torch.atan2(out[1, 4:], out[1, :4])  # (Dk/2,)
    expected = torch.tensor([10000.0 ** (-i / 4) for i in range(4)], dtype=torch.float64)
    torch.testing.assert_close(angles, expected)
    assert math.isclose(angles[0].item(), 1.0)
