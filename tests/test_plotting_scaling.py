"""``qkv.plotting.scaling_plot``: costs on log-log axes with a power-law line (chapter 8)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from qkv_lib.plotting import CYCLE, OKABE_ITO, scaling_plot


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_draws_each_series_and_a_t_squared_line_through_the_first_ones_last_point():
    sizes = [64, 128, 256]
    ax = scaling_plot(sizes, {"unfused": [1.0, 3.0, 10.0], "fused": [0.5, 1.0, 4.0]})
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "sequence length T" and ax.get_ylabel() == "time per call (ms)"
    (unfused, fused, reference) = ax.get_lines()
    assert unfused.get_color() == CYCLE[0] and fused.get_color() == CYCLE[1]
    assert reference.get_label() == "∝ T²" and reference.get_color() == OKABE_ITO["black"]
    np.testing.assert_allclose(reference.get_ydata(), [10 / 16, 10 / 4, 10])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["64", "128", "256"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["unfused", "fused", "∝ T²"]


def test_other_slopes_no_line_and_a_given_axes():
    _, (left, right) = plt.subplots(1, 2)
    ax = scaling_plot([1, 2, 4], {"a": [1, 2, 4]}, slope=1, ax=left, variable="S", title="t")
    assert ax is left and ax.get_lines()[-1].get_label() == "∝ S" and ax.get_title() == "t"
    assert scaling_plot([1, 2], {"a": [1, 2]}, slope=1.5, ax=right).get_lines()[-1].get_label() == (
        "∝ T^1.5"
    )
    assert len(scaling_plot([1, 2], {"a": [1, 2]}, slope=None).get_lines()) == 1


@pytest.mark.parametrize(
    ("sizes", "series", "kwargs", "error", "words"),
    [
        ([1], {"a": [1]}, {}, ValueError, ["sizes", "at least 2"]),
        ([1, -2], {"a": [1, 2]}, {}, ValueError, ["positive"]),
        ([1, 2], [1, 2], {}, TypeError, ["series", "dict"]),
        ([1, 2], {"a": [1, 2, 3]}, {}, ValueError, ["series['a']", "(3,)", "(2,)"]),
        ([1, 2], {"a": [0, 2]}, {}, ValueError, ["series['a']", "positive"]),
        ([1, 2], {"a": [1, 2]}, {"slope": "2"}, TypeError, ["slope"]),
        ([1, 2], {"a": [1, 2]}, {"ax": "left"}, TypeError, ["ax"]),
    ],
)
def test_bad_input_is_named(sizes, series, kwargs, error, words):
    with pytest.raises(error) as raised:
        scaling_plot(sizes, series, **kwargs)
    for word in words:
        assert word in str(raised.value), (word, str(raised.value))
