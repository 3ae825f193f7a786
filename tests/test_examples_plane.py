"""Tests for qkv_lib.examples.plane, chapter 3's tokens in the plane and W_q, W_k as rotations."""

from __future__ import annotations

import math

import pytest
import torch

from qkv_lib.examples import plane as ex


def test_rotation_turns_row_vectors_anticlockwise():
    x = torch.tensor([[1.0, 0.0]])  # (1, E)
    torch.testing.assert_close(x @ ex.rotation(90), torch.tensor([[0.0, 1.0]]), atol=1e-6, rtol=0)
    torch.testing.assert_close(x @ ex.rotation(30) @ ex.rotation(60), x @ ex.rotation(90))
    R = ex.rotation(37)
    torch.testing.assert_close(R @ R.T, torch.eye(2))  # a rotation keeps lengths and angles


def test_toy_tokens():
    X = ex.toy_tokens()
    assert X.shape == (len(ex.TOKEN_ANGLES), 2)
    torch.testing.assert_close(X.norm(dim=-1), torch.full((4,), ex.TOKEN_LENGTH))
    angles = torch.rad2deg(torch.atan2(X[:, 1], X[:, 0])) % 360
    torch.testing.assert_close(angles, torch.tensor(ex.TOKEN_ANGLES), atol=1e-4, rtol=0)


@pytest.mark.parametrize(("angle_q", "scale_q", "angle_k"), [(0, 1.0, 0), (120, 2.0, 90)])
def test_project_tokens_matches_the_formulas(angle_q, scale_q, angle_k):
    p = ex.project_tokens(angle_q, scale_q, angle_k)
    X = ex.toy_tokens()
    W_q = scale_q * ex.rotation(angle_q)
    W_k = ex.rotation(angle_k)
    torch.testing.assert_close(p.tokens, X)
    torch.testing.assert_close(p.queries, X @ W_q)
    torch.testing.assert_close(p.keys, X @ W_k)
    torch.testing.assert_close(p.scores, X @ W_q @ W_k.T @ X.T)  # the bilinear form
    expected = torch.softmax(p.scores / math.sqrt(2), dim=-1)
    torch.testing.assert_close(p.weights, expected)
    torch.testing.assert_close(p.weights.sum(-1), torch.ones(4))


def test_only_the_angle_difference_matters():
    a = ex.project_tokens(120, 2.0, 90)
    b = ex.project_tokens(30, 2.0, 0)
    torch.testing.assert_close(a.scores, b.scores)
    assert not torch.allclose(a.queries, b.queries)


def test_the_chapter_answers():
    # identity projections: every token attends most to itself
    same = ex.project_tokens(0, 1.0, 0)
    assert same.weights.argmax(-1).tolist() == [0, 1, 2, 3]
    # W_q turned by 90 degrees: token 0 looks at 90 degrees and finds token 1 (at 70)
    turned = ex.project_tokens(90, 1.0, 0)
    assert turned.weights.argmax(-1).tolist() == [1, 2, 3, 0]
    assert turned.weights[0, 1] > 0.75
    # ... while token 1 takes almost nothing from token 0: the scores are not symmetric
    assert turned.weights[1, 0] < 0.01
    # a larger scale sharpens every row
    flat, sharp = ex.project_tokens(0, 0.25, 0), ex.project_tokens(0, 2.0, 0)
    assert (sharp.weights.max(-1).values > flat.weights.max(-1).values).all()
