"""Tests for qkv_lib.widgets.training, chapter 7's explorer: the cached run and its frames."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

from qkv_lib import training
from qkv_lib.widgets import Dropdown, Explorer, Slider
from qkv_lib.widgets import training as widget


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return widget.training_explorer()


@pytest.fixture(scope="module")
def history() -> training.History:
    return training.chapter_run(0)


def test_pair_labels(history):
    labels = widget.pair_labels(history.probe, 0)
    assert len(labels) == training.N_PAIRS
    k, v = history.probe.keys[0, 2].item(), history.probe.values[0, 2].item()
    assert labels[2] == f"k{k}\nv{v}"


# --- the explorer -------------------------------------------------------------------------


def test_builder_works_with_no_arguments(explorer, history):
    assert explorer.names == ("step", "example")
    step, example = explorer.controls
    assert isinstance(step, Slider) and step.values == training.CHECKPOINTS
    assert isinstance(example, Dropdown)
    assert example.options == tuple(range(history.probe.batch_size))
    assert explorer.n_frames == len(training.CHECKPOINTS) * 4 <= 100
    assert explorer.defaults == {"step": 0, "example": 0}
    assert explorer.title and explorer.caption
    q, t = history.probe.query[1].item(), history.probe.target[1].item()
    assert example.text(1) == f"2: query k{q} → v{t}"


def test_every_frame_renders_with_labelled_axes(explorer):
    before = plt.get_fignums()
    count = 0
    for values, fig in explorer.frames():
        assert isinstance(fig, Figure), values
        assert len(fig.axes) == 3, values
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel(), values
        count += 1
    assert count == explorer.n_frames
    assert plt.get_fignums() == before  # nothing drawn through pyplot


@pytest.mark.parametrize("values", [{"step": 0, "example": 0}, {"step": 50, "example": 1}])
def test_figure_shows_the_checkpoint_numbers(explorer, history, values):
    step, example = values["step"], values["example"]
    ax_bars, ax_match, ax_loss = explorer.render(**values).axes
    heights = [bar.get_height() for bar in ax_bars.patches]
    torch.testing.assert_close(torch.tensor(heights), history.weights[step][example].double())
    position = history.probe.position[example].item()
    colours = [bar.get_facecolor() for bar in ax_bars.patches]
    assert sum(c == colours[position] for c in colours) == 1  # only the matching pair stands out
    (image,) = ax_match.get_images()
    torch.testing.assert_close(
        torch.as_tensor(image.get_array().data), history.match[step][0].double()
    )
    limit = max(history.match[s][0].abs().max().item() for s in history.checkpoints)
    assert image.get_clim() == pytest.approx((-limit, limit))  # the same range at every step
    (loss_line,) = [line for line in ax_loss.get_lines() if line.get_label() == "loss"]
    torch.testing.assert_close(torch.as_tensor(loss_line.get_ydata()), history.loss.double())
    assert any(list(line.get_xdata()) == [step, step] for line in ax_loss.get_lines())
    predicted = history.predictions[step][example].item()
    assert f"predicts v{predicted}" in ax_bars.get_title()


def test_draw_rejects_values_off_the_grid():
    with pytest.raises(ValueError, match="step must be one of the checkpoints"):
        widget.draw_training_checkpoint(step=7)
    with pytest.raises(ValueError, match="example must be an int from 0 to 3"):
        widget.draw_training_checkpoint(example=4)


def test_alt_text_reflects_the_controls(explorer, history):
    start = explorer.alt_text(step=0, example=0)
    end = explorer.alt_text(step=training.STEPS, example=2)
    assert start.startswith("After 0 of 300 training steps, probe example 1")
    assert end.startswith("After 300 of 300 training steps, probe example 3")
    q, t = history.probe.query[2].item(), history.probe.target[2].item()
    weight = history.correct_weight(training.STEPS)[2].item()
    assert f"The pair with key k{q} (holding v{t}) gets {weight:.2f}" in end
    assert f"predicts v{t}, which is right" in end
    assert "8 of 8 query tokens score their own key token highest" in end
