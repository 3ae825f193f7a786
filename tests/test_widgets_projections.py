"""Tests for chapter 3's explorer, qkv_lib.widgets.projections (W_q and W_k in the plane)."""

from __future__ import annotations

import math
import re

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

from qkv_lib.examples import plane as ex
from qkv_lib.widgets import Dropdown, Explorer, Slider
from qkv_lib.widgets import projections as P


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return P.projection_explorer()


# --- the maths the figure shows -----------------------------------------------------------


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


# --- the explorer -------------------------------------------------------------------------


def test_builder_works_with_no_arguments(explorer):
    assert isinstance(explorer, Explorer)
    assert explorer.names == ("angle_q", "scale_q", "angle_k")
    angle_q, scale_q, angle_k = explorer.controls
    assert isinstance(angle_q, Slider) and len(angle_q.values) == 12
    assert isinstance(scale_q, Dropdown) and len(scale_q.options) == 4
    assert isinstance(angle_k, Dropdown) and len(angle_k.options) == 2
    assert explorer.n_frames == 96 <= 100
    assert explorer.defaults == {"angle_q": 0, "scale_q": 1.0, "angle_k": 0}
    assert explorer.title and explorer.caption


def test_every_frame_renders(explorer):
    before = plt.get_fignums()
    for values, fig in explorer.frames():
        assert isinstance(fig, Figure), values
        assert len(fig.axes) == 3
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert plt.get_fignums() == before  # no pyplot figures leak into a notebook's outputs


def test_heatmap_shows_the_weights(explorer):
    fig = explorer.render(angle_q=90, scale_q=1.0, angle_k=0)
    image = fig.axes[2].images[0]
    torch.testing.assert_close(
        torch.as_tensor(image.get_array(), dtype=torch.float64),
        ex.project_tokens(90, 1.0, 0).weights.double(),
    )
    assert image.get_clim() == (0.0, 1.0)


def test_alt_text_reflects_the_controls(explorer):
    text = explorer.alt_text(angle_q=90, scale_q=2.0, angle_k=0)
    assert "turns them by 90 degrees and stretches them by 2" in text
    assert "W_k turns them by 0 degrees" in text
    assert "token 0 attends most to token 1" in text
    other = explorer.alt_text(angle_q=0, scale_q=0.25, angle_k=90)
    assert "stretches them by 0.25" in other and "W_k turns them by 90 degrees" in other
    assert re.search(r"token 0 attends most to token 3", other)  # it looks 90° behind
