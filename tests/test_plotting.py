"""Tests for qkv_lib.plotting: helpers label their axes, reject bad input, render reproducibly."""

from __future__ import annotations

import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from qkv_lib import plotting


def _weights(T: int = 3, S: int = 5) -> torch.Tensor:
    scores = torch.randn(T, S, generator=torch.Generator().manual_seed(0))
    return torch.softmax(scores, dim=-1)  # (T, S)


def _assert_labelled(ax: Axes) -> None:
    assert isinstance(ax, Axes)
    assert ax.get_xlabel().strip() and ax.get_ylabel().strip()


# --- the package ---------------------------------------------------------------------------


def test_all_lists_exactly_the_public_names():
    public = {n for n in vars(plotting) if not n.startswith("_")} - {"annotations"}
    modules = {n for n in public if type(getattr(plotting, n)).__name__ == "module"}
    assert set(plotting.__all__) == public - modules
    assert {"attention_heatmap", "CYCLE", "HEATMAP_CMAP", "figure_to_svg"} <= set(plotting.__all__)


# --- palette and style --------------------------------------------------------------------


def test_okabe_ito_palette():
    assert len(plotting.OKABE_ITO) == 8
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in plotting.OKABE_ITO.values())
    assert set(plotting.CYCLE) <= set(plotting.OKABE_ITO.values())


def test_course_style_is_temporary():
    before = mpl.rcParams["svg.hashsalt"]
    with plotting.course_style():
        assert mpl.rcParams["svg.hashsalt"] == plotting.COURSE_STYLE["svg.hashsalt"]
        assert mpl.rcParams["axes.spines.top"] is False
        colours = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        assert colours[0].upper() == plotting.OKABE_ITO["blue"]
    assert mpl.rcParams["svg.hashsalt"] == before


# --- attention_heatmap --------------------------------------------------------------------


def test_heatmap_returns_labelled_axes_with_fixed_colour_range():
    ax = plotting.attention_heatmap(_weights(), title="weights")
    _assert_labelled(ax)
    assert "query" in ax.get_ylabel() and "key" in ax.get_xlabel()
    (image,) = ax.get_images()
    assert image.get_clim() == (0.0, 1.0)
    assert image.get_array().shape == (3, 5)  # queries on y (rows), keys on x (columns)
    assert ax.get_title() == "weights"
    assert len(ax.figure.axes) == 2  # the heatmap and its colourbar
    assert ax.figure.axes[1].get_ylabel() == "attention weight"


def test_heatmap_fixed_range_even_when_weights_are_small():
    ax = plotting.attention_heatmap(torch.full((2, 4), 0.25))
    assert ax.get_images()[0].get_clim() == (0.0, 1.0)


def test_heatmap_labels_and_annotations():
    ax = plotting.attention_heatmap(
        _weights(2, 3), query_labels=["q0", "q1"], key_labels=["a", "b", "c"], annotate=True
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["q0", "q1"]
    assert len(ax.texts) == 6


def test_heatmap_annotate_auto_and_off():
    assert len(plotting.attention_heatmap(_weights(2, 3)).texts) == 6  # small: annotated
    assert len(plotting.attention_heatmap(_weights(9, 9)).texts) == 0  # big: not
    assert len(plotting.attention_heatmap(_weights(2, 3), annotate=False).texts) == 0


def test_heatmap_draws_into_given_axes_and_accepts_numpy():
    fig, ax = plt.subplots()
    out = plotting.attention_heatmap(_weights().numpy(), ax=ax, colorbar=False)
    assert out is ax
    assert len(fig.axes) == 1


@pytest.mark.parametrize(
    ("weights", "kwargs", "error", "words"),
    [
        (torch.rand(2, 3, 4), {}, ValueError, ["weights", "2-D", "(2, 3, 4)"]),
        (torch.rand(5), {}, ValueError, ["weights", "(5,)"]),
        (torch.tensor([[0.5, 1.5]]), {}, ValueError, ["weights", "[0, 1]", "1.5"]),
        (torch.tensor([[-0.2, 1.0]]), {}, ValueError, ["weights", "-0.2"]),
        (torch.tensor([[float("nan"), 1.0]]), {}, ValueError, ["weights", "NaN"]),
        ([[0.5, 0.5]], {}, TypeError, ["weights", "list"]),
        (torch.full((2, 3), 1 / 3), {"key_labels": ["a"]}, ValueError, ["key_labels", "S=3"]),
        (torch.full((2, 3), 1 / 3), {"query_labels": list("abc")}, ValueError, ["T=2"]),
        (torch.full((2, 3), 1 / 3), {"annotate": "yes"}, ValueError, ["annotate"]),
        (torch.full((2, 3), 1 / 3), {"ax": "not an axes"}, TypeError, ["ax"]),
    ],
)
def test_heatmap_rejects_bad_input(weights, kwargs, error, words):
    with pytest.raises(error) as excinfo:
        plotting.attention_heatmap(weights, **kwargs)
    for word in words:
        assert word in str(excinfo.value)


def test_heatmap_tolerates_rounding_just_outside_range():
    plotting.attention_heatmap(torch.tensor([[1.0 + 1e-7, -1e-7]]))


# --- vectors_2d ---------------------------------------------------------------------------


def test_vectors_2d_draws_groups_with_labels():
    keys = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, -1.0]])  # (N, 2)
    query = torch.tensor([0.5, 0.5])  # (2,)
    ax = plotting.vectors_2d(
        {"keys": keys, "query": query}, labels={"keys": ["a", "b", "c"]}, title="plane"
    )
    _assert_labelled(ax)
    assert len(ax.collections) == 2  # one quiver per group
    assert sorted(t.get_text() for t in ax.texts) == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["keys", "query"]
    assert ax.get_aspect() == 1.0
    x0, x1 = ax.get_xlim()
    assert x0 < -2 and x1 > 2  # fits the longest vector


def test_vectors_2d_one_colour_per_vector():
    colours = ["#E69F00", "#56B4E9", "#009E73"]
    ax = plotting.vectors_2d(
        {"keys": torch.eye(3, 2)}, labels={"keys": list("abc")}, colors={"keys": colours}
    )
    (quiver,) = ax.collections
    assert [mpl.colors.to_hex(c).upper() for c in quiver.get_facecolors()] == colours
    assert [mpl.colors.to_hex(t.get_color()).upper() for t in ax.texts] == colours
    with pytest.raises(ValueError, match=r"colors\['keys'\] must be one colour or N=3"):
        plotting.vectors_2d({"keys": torch.eye(3, 2)}, colors={"keys": colours[:2]})


def test_vectors_2d_points_fixed_limit_and_no_legend():
    ax = plotting.vectors_2d({"p": torch.ones(4, 2)}, arrows=False, limit=3.0, legend=False)
    assert ax.get_xlim() == (-3.0, 3.0) and ax.get_ylim() == (-3.0, 3.0)
    assert ax.get_legend() is None


@pytest.mark.parametrize(
    ("vectors", "kwargs", "error", "words"),
    [
        ({"keys": torch.ones(4, 3)}, {}, ValueError, ["vectors['keys']", "(N, 2)", "(4, 3)"]),
        ({"keys": torch.ones(2, 2, 2)}, {}, ValueError, ["(2, 2, 2)"]),
        ({}, {}, TypeError, ["vectors"]),
        (torch.ones(3, 2), {}, TypeError, ["vectors", "Tensor"]),
        ({"k": torch.ones(2, 2)}, {"labels": {"k": ["only one"]}}, ValueError, ["labels['k']"]),
        ({"k": torch.ones(2, 2)}, {"labels": {"q": ["x"]}}, ValueError, ["'q'"]),
    ],
)
def test_vectors_2d_rejects_bad_input(vectors, kwargs, error, words):
    with pytest.raises(error) as excinfo:
        plotting.vectors_2d(vectors, **kwargs)
    for word in words:
        assert word in str(excinfo.value)


# --- bar_weights --------------------------------------------------------------------------


def test_bar_weights_fixed_range_labels_and_colours():
    weights = torch.tensor([0.1, 0.6, 0.3])
    ax = plotting.bar_weights(weights, ["x", "y", "z"], color=["#000000", "#E69F00", "#56B4E9"])
    _assert_labelled(ax)
    assert ax.get_ylim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, [0.1, 0.6, 0.3], rtol=1e-6)
    assert [t.get_text() for t in ax.texts] == ["0.10", "0.60", "0.30"]


@pytest.mark.parametrize(
    ("weights", "labels", "error", "words"),
    [
        (torch.full((2, 2), 0.25), None, ValueError, ["weights", "(S,)", "(2, 2)"]),
        (torch.tensor([0.5, 2.0]), None, ValueError, ["weights", "[0, 1]"]),
        (torch.tensor([0.5, 0.5]), ["a"], ValueError, ["labels", "S=2"]),
        (np.array(["a"]), None, TypeError, ["weights"]),
    ],
)
def test_bar_weights_rejects_bad_input(weights, labels, error, words):
    with pytest.raises(error) as excinfo:
        plotting.bar_weights(weights, labels)
    for word in words:
        assert word in str(excinfo.value)


# --- deterministic rendering --------------------------------------------------------------


def _figure() -> Figure:
    fig = Figure(figsize=(4, 3))
    ax = fig.subplots()
    plotting.attention_heatmap(_weights(), ax=ax)  # an image, clip paths, a colourbar
    ax.plot([0, 1, 2], [0, 1, 0])
    return fig


def test_svg_is_deterministic_across_figures_and_has_no_date():
    first, second = plotting.figure_to_svg(_figure()), plotting.figure_to_svg(_figure())
    assert first == second
    assert first.lstrip().startswith("<?xml") and "<svg" in first
    assert "dc:date" not in first and "Matplotlib v" not in first


def test_svg_is_deterministic_even_when_global_hashsalt_differs():
    with mpl.rc_context({"svg.hashsalt": None}):
        first = plotting.figure_to_svg(_figure())
    assert first == plotting.figure_to_svg(_figure())


def test_png_is_deterministic_and_has_no_software_tag():
    first, second = plotting.figure_to_png(_figure()), plotting.figure_to_png(_figure())
    assert first == second
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in first and b"matplotlib" not in first.lower()


def test_renderers_reject_non_figures():
    with pytest.raises(TypeError, match="fig"):
        plotting.figure_to_svg(plt.gca())
    with pytest.raises(TypeError, match="fig"):
        plotting.figure_to_png("figure.png")


def test_gzipped_size_is_smaller_for_repetitive_text():
    text = "<path d='M 0 0 L 1 1'/>" * 100
    assert 0 < plotting.gzipped_size(text) < len(text) / 10
