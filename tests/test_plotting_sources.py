"""Tests for the plotting helper added for chapter 2: ``side_by_side_heatmaps``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qkv_lib import plotting


def _weights(T: int, S: int) -> torch.Tensor:
    return torch.softmax(torch.arange(T * S, dtype=torch.float32).view(T, S) / 7, dim=-1)


def test_panels_share_one_figure_range_and_colour_bar():
    left, right = _weights(3, 3), _weights(3, 3).T.softmax(dim=-1)
    axes = plotting.side_by_side_heatmaps(
        {"without": left, "with": right}, query_labels=list("abc"), key_labels=list("xyz")
    )
    assert len(axes) == 2 and axes[0].figure is axes[1].figure
    fig = axes[0].figure
    assert len(fig.axes) == 3  # two panels and one colour bar
    assert fig.axes[2].get_ylabel() == "attention weight"
    for ax, title, weights in zip(axes, ("without", "with"), (left, right), strict=True):
        assert ax.get_title() == title
        assert ax.images[0].get_clim() == (0.0, 1.0)
        np.testing.assert_allclose(ax.images[0].get_array(), weights.numpy(), rtol=1e-6)
        assert [t.get_text() for t in ax.get_yticklabels()] == list("abc")
        assert [t.get_text() for t in ax.get_xticklabels()] == list("xyz")
        assert ax.get_xlabel() == "key (S)" and ax.get_ylabel() == "query (T)"
    assert "side_by_side_heatmaps" in plotting.__all__


def test_panels_of_different_shapes_and_annotation():
    axes = plotting.side_by_side_heatmaps(
        {"(3, 5)": _weights(3, 5), "(5, 3)": _weights(5, 3), "(2, 2)": _weights(2, 2)},
        annotate=False,
        figsize=(9, 3),
    )
    assert [ax.images[0].get_array().shape for ax in axes] == [(3, 5), (5, 3), (2, 2)]
    assert all(not ax.texts for ax in axes)
    assert tuple(axes[0].figure.get_size_inches()) == (9, 3)


@pytest.mark.parametrize(
    ("panels", "kwargs", "error", "match"),
    [
        ({}, {}, TypeError, "non-empty dict"),
        (torch.ones(2, 2), {}, TypeError, "panels"),
        ({"scores": torch.full((2, 2), 3.0)}, {}, ValueError, r"\[0, 1\]"),
        ({"a": _weights(2, 3)}, {"key_labels": ["x"]}, ValueError, "key_labels"),
    ],
)
def test_rejects_bad_input(panels, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.side_by_side_heatmaps(panels, **kwargs)
