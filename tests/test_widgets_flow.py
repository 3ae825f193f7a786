"""Tests for qkv_lib.widgets.flow, chapter 4's explorer: the steps, the maths, the frames."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

import qkv_lib as qkv
from qkv_lib.examples import flow as ex
from qkv_lib.widgets import Dropdown, Explorer, Slider, flow


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return flow.flow_explorer()


def _combos():
    return [(s, m) for s in (True, False) for m in ex.MASKS]


# --- the maths the figure shows -----------------------------------------------------------


def test_example_has_the_documented_shapes():
    Q, K, V = ex.flow_example()
    assert Q.shape == (4, 4) and K.shape == (4, 4) and V.shape == (4, 2)  # (L,d_k) (S,d_k) (S,Dv)
    assert len(ex.TOKENS) == Q.shape[0] == K.shape[0]


@pytest.mark.parametrize(("scaling", "mask"), _combos())
def test_steps_match_the_library_attention(scaling, mask):
    Q, K, V = ex.flow_example()
    steps = ex.flow_steps(scaling, mask)
    assert list(steps) == list(ex.STEPS)
    torch.testing.assert_close(steps["scores"], Q @ K.T)
    scale = 1 / math.sqrt(Q.shape[-1]) if scaling else 1.0
    torch.testing.assert_close(steps["scaled"], Q @ K.T * scale)
    out, weights = qkv.scaled_dot_product_attention(
        Q, K, V, attn_mask=ex.flow_mask(mask), scale=scale
    )
    torch.testing.assert_close(steps["weights"], weights)
    torch.testing.assert_close(steps["output"], out)
    torch.testing.assert_close(steps["weights"].sum(-1), torch.ones(4))
    torch.testing.assert_close(  # and PyTorch agrees
        steps["output"],
        torch.nn.functional.scaled_dot_product_attention(
            Q, K, V, attn_mask=ex.flow_mask(mask), scale=scale
        ),
    )


def test_masks_hide_the_right_keys():
    assert ex.flow_mask("none") is None
    causal = ex.flow_steps(True, "causal")
    assert torch.isneginf(causal["masked"]).tolist() == [
        [j > i for j in range(4)] for i in range(4)
    ]
    assert causal["weights"][0, 0] == 1.0  # the first query can only see itself
    padding = ex.flow_steps(True, "padding")
    assert torch.isneginf(padding["masked"][:, 3]).all()  # the <pad> key, for every query
    assert torch.isfinite(padding["masked"][:, :3]).all()
    assert (padding["weights"][:, 3] == 0).all()
    unmasked = ex.flow_steps(True, "none")
    torch.testing.assert_close(unmasked["masked"], unmasked["scaled"])


def test_scaling_spreads_the_weights():
    sharp = ex.flow_steps(False, "none")["weights"].max(-1).values  # (L,)
    spread = ex.flow_steps(True, "none")["weights"].max(-1).values  # (L,)
    assert (spread < sharp).all()


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
    assert ax.get_images()[0].get_array().shape == (4, 2)  # (L, Dv)
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
