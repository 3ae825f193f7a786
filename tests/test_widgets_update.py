"""Frames drawn by updating one figure: the Explorer's ``build``/``update`` option, the frame
cache that uses it, and the helpers that change a built figure (qkv_lib.widgets.redraw).

That every chapter's explorer updates its figure to the picture of a fresh draw is checked
in test_explorer_contract.py; here the machinery is tested on small figures.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

from qkv_lib import plotting
from qkv_lib._threads import one_thread
from qkv_lib.plotting import course_style, figure_to_png, figure_to_svg
from qkv_lib.widgets import Dropdown, Explorer, Slider
from qkv_lib.widgets.frames import compact_svg
from qkv_lib.widgets.redraw import (
    clear_heatmap,
    crisp_cells,
    move_arrows,
    pin_titles,
    set_bar_heights,
)


class LineFigure(Figure):
    """A line whose slope and colour ``show`` changes; slope 9 fails half-way."""

    builds = 0

    def __init__(self) -> None:
        super().__init__(figsize=(2, 2), layout="none")
        LineFigure.builds += 1
        self.ax = self.subplots()
        (self.line,) = self.ax.plot([0, 1], [0, 0])
        self.ax.set_ylim(0, 10)
        self.ax.set_xlabel("x")
        self.ax.set_ylabel("y")

    def show(self, slope: int = 1, colour: str = "C0") -> None:
        self.line.set_color(colour)
        if slope == 9:
            raise ValueError("slope 9 is not drawn")
        self.line.set_ydata([0, slope])


def draw_line(slope: int = 1, colour: str = "C0") -> Figure:
    fig = LineFigure()
    fig.show(slope, colour)
    return fig


def line_explorer() -> Explorer:
    controls = [
        Slider("slope", "slope", (0, 1, 2, 9), default=1),
        Dropdown("colour", "c", "C0 C1".split()),
    ]
    return Explorer(draw_line, controls, build=LineFigure, update=LineFigure.show, title="t")


def _svg(fig: Figure) -> bytes:
    with course_style():
        return compact_svg(figure_to_svg(fig)).encode()


# --- the Explorer option ------------------------------------------------------------------


def test_frames_come_from_one_figure_and_match_fresh_draws():
    e = line_explorer()
    before = LineFigure.builds
    grid = [v for v in e.grid() if v["slope"] != 9]
    for values in [*grid, *reversed(grid)]:
        assert e.frame(**values) == _svg(e.render(**values)), values
    assert LineFigure.builds - before == 2 * len(grid) + 1  # a fresh draw each, and one build
    assert e._cache._figure is not None and len(e._cache.rendered()) == len(grid)


def test_the_live_widget_shows_the_updated_figure():
    e = line_explorer()
    w = e.widget()
    w.controls["slope"].value = 2
    w.controls["colour"].value = "C1"
    assert w.image.value == _svg(e.render(slope=2, colour="C1"))


def test_a_failed_update_leaves_no_stale_frame():
    e = line_explorer()
    assert e.frame(slope=0) == _svg(e.render(slope=0))
    with pytest.raises(ValueError, match="slope 9"):
        e.frame(slope=9, colour="C1")  # the line was recoloured before the error
    with course_style():
        assert e.png(slope=0) == figure_to_png(e.render(slope=0))  # updated again, not reused


def test_build_and_update_are_checked():
    controls = [Slider("slope", "slope", (0, 1))]
    with pytest.raises(TypeError, match="build and update go together"):
        Explorer(draw_line, controls, build=LineFigure)
    with pytest.raises(TypeError, match="must be callables"):
        Explorer(draw_line, controls, build="LineFigure", update="show")
    bad = Explorer(draw_line, controls, build=lambda: "a figure", update=LineFigure.show)
    with pytest.raises(TypeError, match="build must return a matplotlib Figure"):
        bad.frame()
    pyplot = Explorer(draw_line, controls, build=plt.figure, update=LineFigure.show)
    with pytest.raises(ValueError, match="build made its figure with pyplot"):
        pyplot.frame()
    assert plt.get_fignums() == []


def test_one_thread_restores_torch_threads():
    threads = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == threads
    with pytest.raises(RuntimeError), one_thread():
        raise RuntimeError("inside")
    assert torch.get_num_threads() == threads


# --- changing a built figure --------------------------------------------------------------


def _course_figure(draw) -> bytes:
    with course_style():
        fig = Figure(figsize=(3, 3), layout="none")
        draw(fig.subplots())
        return compact_svg(figure_to_svg(fig)).encode()


def test_move_arrows_draws_what_vectors_2d_draws():
    before = torch.tensor([[1.0, 0.5], [-1.0, 1.0]])
    after = torch.tensor([[-0.5, -1.5], [2.0, 1.0]])

    def draw(vectors):
        return lambda ax: plotting.vectors_2d(
            {"v": vectors}, ax=ax, labels={"v": ["a", "b"]}, limit=3
        )

    def moved(ax):
        draw(before)(ax)
        move_arrows(ax.collections[-1], ax.texts, after.tolist())

    assert _course_figure(moved) == _course_figure(draw(after))


def test_set_bar_heights_draws_what_bar_weights_draws():
    before, after = torch.tensor([0.2, 0.3, 0.5]), torch.tensor([0.7, 0.0, 0.3])

    def changed(ax):
        plotting.bar_weights(before, ["a", "b", "c"], ax=ax)
        labels = set_bar_heights(ax, ax.containers[0], after.tolist(), list(ax.texts))
        assert [label.get_text() for label in labels] == ["0.70", "0.00", "0.30"]

    expected = _course_figure(lambda ax: plotting.bar_weights(after, ["a", "b", "c"], ax=ax))
    assert _course_figure(changed) == expected
    with pytest.raises(ValueError, match="one entry per bar"):
        set_bar_heights(Figure().subplots(), Figure().subplots().bar([0, 1], [1, 1]), [1.0])


def test_pin_titles_keeps_the_picture_and_clear_heatmap_empties_the_axes():
    weights = torch.softmax(torch.arange(6.0).reshape(2, 3), -1)

    def heatmap(ax):
        plotting.attention_heatmap(weights, ax=ax, title="weights", colorbar=False)

    def pinned(ax):
        heatmap(ax)
        pin_titles(ax)
        assert ax.title.get_position()[1] == 1.0

    assert _course_figure(pinned) == _course_figure(heatmap)

    def cleared(ax):
        heatmap(ax)
        clear_heatmap(ax)
        assert len(ax.images) == len(ax.texts) == 0  # ready for the next heatmap
        heatmap(ax)
        crisp_cells(ax)
        assert ax.images[0].get_interpolation() == "none"

    svg = _course_figure(cleared).decode()
    assert svg.count("<image") == 1 and "image-rendering:pixelated" in svg.replace(" ", "")
