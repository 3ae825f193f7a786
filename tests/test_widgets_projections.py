"""Tests for chapter 3's explorer, qkv_lib.widgets.projections (W_q and W_k in the plane)."""

from __future__ import annotations

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
