"""Tests for qkv_lib.widgets.heads, chapter 5's explorer: the example, the maths, the frames."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

from qkv_lib.examples import heads as ex
from qkv_lib.widgets import Dropdown, Explorer, Slider
from qkv_lib.widgets import heads as hd


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return hd.heads_explorer()


# --- the example and the maths the figure shows --------------------------------------------


# --- the explorer -------------------------------------------------------------------------


def test_builder_works_with_no_arguments(explorer):
    assert explorer.names == ("num_heads", "query")
    heads, query = explorer.controls
    assert isinstance(heads, Slider) and heads.values == (1, 2, 3, 4, 6)
    assert isinstance(query, Dropdown) and query.options == tuple(range(6))
    assert explorer.n_frames == 30 <= 100
    assert explorer.defaults == {"num_heads": 6, "query": 2}
    assert explorer.title and explorer.caption
    assert query.text(4) == "the (4)"


def test_every_frame_renders_one_labelled_panel_per_head(explorer):
    before = plt.get_fignums()
    sizes = set()
    for values, fig in explorer.frames():
        H = values["num_heads"]
        assert isinstance(fig, Figure), values
        assert len(fig.axes) == H + 1, values  # H heads and one colour bar
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel(), values
        titles = [ax.get_title() for ax in fig.axes[:H]]
        assert titles == [f"head {h}, Dh = {12 // H}" for h in range(H)]
        for ax in fig.axes[:H]:
            (image,) = ax.get_images()
            assert image.get_clim() == (0.0, 1.0)
            assert image.get_array().shape == (6, 6)  # (T, S)
        texts = " ".join(t.get_text() for t in fig.texts)
        assert f"Dh = 12 / {H} = {12 // H}" in texts
        sizes.add(tuple(fig.get_size_inches()))
    assert len(sizes) == 1  # the figure never changes size between frames
    assert plt.get_fignums() == before  # no pyplot figures leak


def test_the_panels_show_the_head_weights(explorer):
    fig = explorer.render(num_heads=4, query=5)
    for h, ax in enumerate(fig.axes[:4]):
        (image,) = ax.get_images()
        torch.testing.assert_close(
            torch.as_tensor(image.get_array().data), ex.head_weights(4)[h].double()
        )


def test_the_highlighted_row_is_outlined_and_its_maximum_written(explorer):
    fig = explorer.render(num_heads=6, query=2)
    for ax in fig.axes[:6]:
        (outline,) = ax.patches
        assert outline.get_y() == pytest.approx(1.5)  # row 2, from 1.5 to 2.5
    written = [t.get_text() for t in fig.axes[4].texts if t.get_text().startswith("0.")]
    assert written == ["0.47", "0.47"]  # the noun head's tie: both cells
    assert "head 4: cat/mat 0.47" in " ".join(t.get_text() for t in fig.texts)


def test_alt_text_reflects_the_controls(explorer):
    text = explorer.alt_text(num_heads=6, query=2)
    assert "6 heads of Dh = 2" in text and "Highlighted query sat" in text
    assert "head 4 cat and mat 0.47" in text
    assert "head 3: the (0) to the (0), cat to the (0)" in text
    one = explorer.alt_text(num_heads=1, query=4)
    assert "1 head of Dh = 12" in one and "Highlighted query the (4)" in one
    assert "head 1:" not in one
