"""Rendering a figure again and again, as explorers do: PNG bytes, the layout kept, a heatmap
updated in place (qkv_lib.plotting.render, qkv_lib.plotting.heatmaps.update_heatmap).

The reproducibility of single renders is tested in test_plotting.py.
"""

from __future__ import annotations

import io

import numpy as np
import PIL.Image
import pytest
import torch
from matplotlib.figure import Figure

from qkv_lib import plotting
from qkv_lib.plotting import course_style, figure_to_png, figure_to_svg, update_heatmap
from qkv_lib.plotting.render import png_bytes
from qkv_lib.plotting.vectors import tip_label_place


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGBA"))


def _weights(seed: int = 0, shape: tuple[int, int] = (3, 4)) -> torch.Tensor:
    return torch.softmax(torch.randn(*shape, generator=torch.Generator().manual_seed(seed)), -1)


def _heatmap(values: torch.Tensor, kind: str = "weights") -> Figure:
    fig = Figure(figsize=(4, 3), layout="none")
    ax = fig.subplots()
    if kind == "weights":
        plotting.attention_heatmap(values, ax=ax, annotate=True, colorbar=False)
    else:
        plotting.score_heatmap(values, ax=ax, limit=3.0, colorbar=False)
    return fig


# --- PNG ------------------------------------------------------------------------------------


def test_png_bytes_round_trips_opaque_and_transparent_pixels():
    rng = np.random.default_rng(0)
    opaque = rng.integers(0, 256, size=(5, 7, 4), dtype=np.uint8)
    opaque[:, :, 3] = 255
    image = PIL.Image.open(io.BytesIO(png_bytes(opaque)))
    assert image.mode == "RGB" and image.size == (7, 5)  # all opaque: no alpha channel
    assert (np.asarray(image) == opaque[:, :, :3]).all()
    clear = opaque.copy()
    clear[0, 0, 3] = 10
    image = PIL.Image.open(io.BytesIO(png_bytes(clear)))
    assert image.mode == "RGBA" and (np.asarray(image) == clear).all()


@pytest.mark.parametrize(
    "pixels", [np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 4), np.float32), np.zeros((4, 4))]
)
def test_png_bytes_rejects_what_is_not_rgba_bytes(pixels):
    with pytest.raises(ValueError, match=r"\(height, width, 4\) uint8"):
        png_bytes(pixels)


def test_figure_to_png_draws_what_savefig_draws_and_repeats_itself():
    with course_style():
        fig = _heatmap(_weights())
        saved = io.BytesIO()
        _heatmap(_weights()).savefig(saved, format="png", dpi=100)
        first, again = figure_to_png(fig), figure_to_png(fig)  # the second reuses the canvas
        assert (_pixels(first) == _pixels(saved.getvalue())).all()
        assert first == again
        assert _pixels(figure_to_png(fig, dpi=50)).shape == (150, 200, 4)
        assert fig.dpi == 100 and figure_to_png(fig) == first  # the figure's dpi is restored


def test_rendering_twice_in_the_course_style_keeps_a_figure_without_layout_engine():
    """Matplotlib gives a saved figure the rcParams' layout engine back; the course style turns
    constrained layout on, which would move a fixed layout at the second render."""
    with course_style():
        fig = _heatmap(_weights())
        first = figure_to_svg(fig)
        figure_to_png(fig)
        assert fig.get_layout_engine() is None
        assert figure_to_svg(fig) == first


# --- a heatmap updated in place -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["weights", "scores"])
def test_update_heatmap_gives_the_picture_of_a_fresh_heatmap(kind):
    before, after = _weights(0), _weights(1)
    if kind == "scores":
        before, after = 3 * before - 1, 3 * after - 1
        after[0, 2] = float("-inf")  # masked: grey, written −∞
    with course_style():
        fig = _heatmap(before, kind)
        (ax,) = fig.axes
        assert update_heatmap(ax, after) is ax
        assert figure_to_svg(fig) == figure_to_svg(_heatmap(after, kind))
    assert len(ax.images) == 1 and len(ax.texts) == 12  # nothing was added
    if kind == "scores":
        assert ax.texts[2].get_text() == "−∞"


def test_update_heatmap_checks_what_it_is_given():
    with course_style():
        fig = _heatmap(_weights())
    (ax,) = fig.axes
    with pytest.raises(
        ValueError, match=r"shape \(4, 3\) but the heatmap shows \(T, S\) = \(3, 4\)"
    ):
        update_heatmap(ax, _weights(shape=(4, 3)))
    with pytest.raises(ValueError, match="attention weights in"):
        update_heatmap(ax, 2 * _weights())  # the checks of attention_heatmap
    with pytest.raises(ValueError, match="one heatmap drawn by attention_heatmap"):
        update_heatmap(Figure().subplots(), _weights())
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        update_heatmap("axes", _weights())
    scores = _heatmap(torch.zeros(3, 4), "scores").axes[0]
    with pytest.raises(ValueError, match=r"NaN or \+inf"):
        update_heatmap(scores, torch.full((3, 4), float("nan")))


# --- where a vector's name goes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y", "ha", "va"),
    [(3.0, 4.0, "left", "bottom"), (-3.0, 4.0, "right", "bottom"), (-3.0, -4.0, "right", "top")],
)
def test_tip_label_place_points_away_from_the_origin(x, y, ha, va):
    offset, h, v = tip_label_place(x, y)
    assert offset == pytest.approx((8 * x / 5, 8 * y / 5)) and (h, v) == (ha, va)
    assert tip_label_place(0.0, 0.0) == ((0.0, 0.0), "left", "bottom")  # no direction: no NaN
