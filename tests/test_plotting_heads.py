"""Tests for the plotting helper added for chapter 5: head_heatmaps, one map per head."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from qkv_lib import plotting


def _weights(H: int = 4, T: int = 3, S: int = 5) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.softmax(torch.randn(H, T, S, generator=g), dim=-1)  # (H, T, S)


def _texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_one_panel_per_head_in_a_grid():
    w = _weights(H=4)
    axes = plotting.head_heatmaps(w, query_labels=["a", "b", "c"], key_labels=list("vwxyz"))
    assert len(axes) == 4 and all(isinstance(ax, Axes) for ax in axes)
    fig = axes[0].figure
    assert len(fig.axes) == 5  # four heads and one colour bar
    assert [ax.get_title() for ax in axes] == ["head 0", "head 1", "head 2", "head 3"]
    for h, ax in enumerate(axes):
        (image,) = ax.get_images()
        assert image.get_clim() == (0.0, 1.0)  # the course's fixed range
        assert image.get_cmap().name == plotting.HEATMAP_CMAP
        np.testing.assert_allclose(image.get_array(), w[h].numpy(), rtol=1e-6)
        assert ax.get_xlabel() == "key (S)" and ax.get_ylabel() == "query (T)"
        assert _texts(ax) == [*"vwxyz", "a", "b", "c"]  # keys below, queries left
    colour_bar = fig.axes[-1]
    assert colour_bar.get_ylabel() == "attention weight" and colour_bar.get_xlabel()
    # 3 columns: heads 0-2 on the first row, head 3 below head 0
    x = [ax.get_position().x0 for ax in axes]
    y = [ax.get_position().y0 for ax in axes]
    assert x[0] < x[1] < x[2] and x[3] == pytest.approx(x[0])
    assert y[0] == pytest.approx(y[1]) == pytest.approx(y[2]) and y[3] < y[0]


def test_panels_have_the_same_size_and_are_centred_in_a_given_figure():
    sizes = set()
    for H in (1, 2, 6):
        fig = Figure(figsize=(10, 6), layout="none")
        axes = plotting.head_heatmaps(_weights(H=H), fig=fig, titles=[f"h{h}" for h in range(H)])
        assert axes[0].figure is fig
        for ax in axes:
            box = ax.get_position()
            sizes.add((round(box.width * 10, 6), round(box.height * 6, 6)))  # inches
        if H == 1:
            box = axes[0].get_position()
            centre = (box.x0 + box.x1) / 2
            colour_bar = fig.axes[-1].get_position()
            right = colour_bar.x1
            assert centre < 0.5 < right  # the grid and its colour bar straddle the middle
    assert len(sizes) == 1


def test_bottom_band_is_left_free():
    fig = Figure(figsize=(6, 6), layout="none")
    axes = plotting.head_heatmaps(_weights(H=2), fig=fig, bottom=2.0)
    assert min(ax.get_position().y0 for ax in axes) * 6 > 2.0


def test_ncols_sets_the_grid():
    axes = plotting.head_heatmaps(_weights(H=4), ncols=2)
    x = [round(ax.get_position().x0, 6) for ax in axes]
    assert x[0] == x[2] and x[1] == x[3] and x[0] < x[1]
    fig = axes[0].figure
    assert fig.get_layout_engine() is None  # a fixed layout: nothing moves the panels
    assert plt.fignum_exists(fig.number)  # without fig=, a pyplot figure for notebooks


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"weights": torch.ones(3, 3)}, ValueError, r"\(H, T, S\)"),
        ({"weights": torch.full((2, 3, 3), 2.0)}, ValueError, "attention weights in"),
        ({"titles": ["only one"]}, ValueError, "titles has 1 entries"),
        ({"query_labels": ["a"]}, ValueError, "query_labels has 1 entries"),
        ({"ncols": 0}, ValueError, "ncols must be a positive int"),
        ({"fig": "figure"}, TypeError, "fig must be a matplotlib Figure"),
    ],
)
def test_bad_input_is_explained(kwargs, error, match):
    arguments = {"weights": _weights(H=2), **kwargs}
    weights = arguments.pop("weights")
    with pytest.raises(error, match=match):
        plotting.head_heatmaps(weights, **arguments)
