"""Tests for qkv_lib.widgets.flow, chapter 4's explorer: the steps, the maths, the frames."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from qkv_lib.examples import flow as ex
from qkv_lib.widgets import Dropdown, Explorer, Slider, flow


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return flow.flow_explorer()


# --- the maths the figure shows -----------------------------------------------------------


def test_bad_names_are_rejected():
    with pytest.raises(ValueError, match="mask must be one of"):
        ex.flow_mask("future")
    with pytest.raises(ValueError, match="step must be one of"):
        flow.explain_step("softmax")


# --- the explorer -------------------------------------------------------------------------


def test_builder_works_with_no_arguments(explorer):
    assert explorer.names == ("step", "scaling", "mask")
    step, scaling, mask = explorer.controls
    assert isinstance(step, Slider) and step.values == ex.STEPS
    assert isinstance(scaling, Dropdown) and scaling.options == (True, False)
    assert isinstance(mask, Dropdown) and mask.options == ex.MASKS
    assert explorer.n_frames == 30 <= 100
    assert explorer.defaults == {"step": "scores", "scaling": True, "mask": "none"}
    assert explorer.title and explorer.caption
    assert step.text("weights") == "4 weights" and scaling.text(False) == "off"


def test_every_frame_renders_with_labelled_axes(explorer):
    before = plt.get_fignums()
    for values, fig in explorer.frames():
        assert isinstance(fig, Figure), values
        assert len(fig.axes) == 2, values  # the heatmap and its colour bar
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel(), values
        assert fig.axes[1].get_xlabel().startswith("fixed"), values
        texts = " ".join(t.get_text() for t in fig.texts)
        assert flow.explain_step(**values) in texts
    assert plt.get_fignums() == before  # no pyplot figures leak


def test_heatmaps_use_the_right_colour_ranges(explorer):
    scores = ex.flow_steps()["scores"]
    limit = float(scores.abs().max())
    for values in ({"step": "scaled"}, {"step": "masked", "mask": "causal"}):
        (image,) = explorer.render(**values).axes[0].get_images()
        assert image.get_clim() == (-limit, limit)  # symmetric, fixed across frames
    (image,) = explorer.render(step="weights").axes[0].get_images()
    assert image.get_clim() == (0.0, 1.0)
    ax = explorer.render(step="output").axes[0]
    assert ax.get_images()[0].get_array().shape == (4, 2)  # (T, Dv)
    assert "Dv" in ax.get_xlabel()


def test_masked_cells_are_written_minus_infinity(explorer):
    ax = explorer.render(step="masked", mask="causal").axes[0]
    assert sum(t.get_text() == "−∞" for t in ax.texts) == 6  # above the diagonal of 4 x 4


def test_alt_text_reflects_the_controls(explorer):
    text = explorer.alt_text(step="masked", scaling=True, mask="causal")
    assert "step 3 of 5" in text and "scaling on" in text and "mask causal" in text
    assert "query the: 2.00, −∞, −∞, −∞" in text
    off = explorer.alt_text(step="weights", scaling=False, mask="padding")
    assert "scaling off" in off and "mask padding" in off
    assert "query cat: 0.02, 0.96, 0.02, 0.00" in off
    assert "value features" in explorer.alt_text(step="output")


def test_title_says_when_the_scaling_step_is_skipped(explorer):
    assert "not scaled" in explorer.render(step="scaled", scaling=False).axes[0].get_title()
    assert "√d_k" in explorer.render(step="scaled", scaling=True).axes[0].get_title()
    assert "not scaled" in explorer.alt_text(step="scaled", scaling=False)
