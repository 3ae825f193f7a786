"""Tests for the plotting helpers added for chapter 4: score_heatmap and line_plot."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.axes import Axes

from qkv_lib import plotting


def _scores() -> torch.Tensor:
    return torch.tensor([[2.0, -1.0, float("-inf")], [0.5, 4.0, -3.0]])  # (T, S) = (2, 3)


# --- score_heatmap ------------------------------------------------------------------------


def test_score_heatmap_is_diverging_symmetric_and_labelled():
    ax = plotting.score_heatmap(_scores(), title="scores")
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "key (S)" and ax.get_ylabel() == "query (T)"
    (image,) = ax.get_images()
    assert image.get_clim() == (-4.0, 4.0)  # the largest finite |score|
    assert image.get_cmap().name.startswith(plotting.SCORE_CMAP)
    assert ax.get_title() == "scores"
    assert ax.figure.axes[1].get_ylabel() == "score (not a weight)"


def test_score_heatmap_masks_minus_infinity():
    ax = plotting.score_heatmap(_scores(), limit=5)
    (image,) = ax.get_images()
    assert image.get_clim() == (-5.0, 5.0)
    data = image.get_array()
    assert np.ma.is_masked(data) and data.mask.tolist() == [[False, False, True], [False] * 3]
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["2.00", "−1.00", "−∞", "0.50", "4.00", "−3.00"]


def test_score_heatmap_labels_annotation_and_colorbar_options():
    ax = plotting.score_heatmap(
        _scores(),
        query_labels=["a", "b"],
        key_labels=["x", "y", "z"],
        annotate=False,
        colorbar=False,
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert len(ax.texts) == 0 and len(ax.figure.axes) == 1
    assert len(plotting.score_heatmap(torch.zeros(9, 9)).texts) == 0  # "auto": big, no text


def test_score_heatmap_default_limit_is_one_when_nothing_is_nonzero():
    for scores in (torch.full((2, 2), float("-inf")), torch.zeros(2, 3)):
        (image,) = plotting.score_heatmap(scores).get_images()
        assert image.get_clim() == (-1.0, 1.0)


@pytest.mark.parametrize(
    ("scores", "kwargs", "error", "words"),
    [
        (torch.zeros(2, 3, 4), {}, ValueError, ["scores", "2-D", "(2, 3, 4)"]),
        (torch.tensor([[float("nan"), 0.0]]), {}, ValueError, ["NaN"]),
        (torch.tensor([[float("inf"), 0.0]]), {}, ValueError, ["+inf"]),
        (torch.zeros(2, 3), {"limit": 0}, ValueError, ["limit"]),
        (torch.zeros(2, 3), {"key_labels": ["a"]}, ValueError, ["key_labels", "S=3"]),
        (torch.zeros(2, 3), {"annotate": "yes"}, ValueError, ["annotate"]),
        ([[0.0]], {}, TypeError, ["scores", "list"]),
    ],
)
def test_score_heatmap_rejects_bad_input(scores, kwargs, error, words):
    with pytest.raises(error) as excinfo:
        plotting.score_heatmap(scores, **kwargs)
    for word in words:
        assert word in str(excinfo.value)


# --- line_plot ----------------------------------------------------------------------------


def test_line_plot_draws_each_series_with_log_axis():
    ax = plotting.line_plot(
        [4, 16, 64],
        {"a": [0.5, 0.7, 0.9], "b": torch.tensor([0.3, 0.3, 0.3])},
        xlabel="d_k",
        ylabel="weight",
        title="t",
        logx=2,
        ylim=(0, 1),
    )
    assert ax.get_xlabel() == "d_k" and ax.get_ylabel() == "weight" and ax.get_title() == "t"
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), [0.5, 0.7, 0.9])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    assert ax.get_xscale() == "log" and ax.get_ylim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "16", "64"]
    assert lines[0].get_color().upper() == plotting.CYCLE[0]


@pytest.mark.parametrize(
    ("x", "series", "error", "words"),
    [
        ([1, 2], {"a": [1, 2, 3]}, ValueError, ["series['a']", "(3,)", "(2,)"]),
        ([1, 2], {}, TypeError, ["series"]),
        ([], {"a": []}, ValueError, ["x"]),
        ([[1, 2]], {"a": [1, 2]}, ValueError, ["x", "1-D"]),
    ],
)
def test_line_plot_rejects_bad_input(x, series, error, words):
    with pytest.raises(error) as excinfo:
        plotting.line_plot(x, series)
    for word in words:
        assert word in str(excinfo.value)
