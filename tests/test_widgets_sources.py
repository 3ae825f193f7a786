"""Tests for chapter 2's explorer, qkv_lib.widgets.sources: self- and cross-attention sources."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from qkv_lib.examples import sources as ex
from qkv_lib.widgets import Dropdown, Explorer, sources

COMBOS = list(itertools.product(ex.SOURCES, ex.SOURCES, (True, False)))
LENGTHS = {"decoder": 3, "encoder": 5}


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return sources.source_explorer()


# --- the maths behind the figure ----------------------------------------------------------


# --- the explorer -------------------------------------------------------------------------


def test_builder_works_with_no_arguments(explorer):
    assert isinstance(explorer, Explorer)
    assert explorer.names == ("query_source", "kv_source", "projections")
    assert all(isinstance(c, Dropdown) for c in explorer.controls)
    assert explorer.n_frames == 8
    assert explorer.defaults == {
        "query_source": "decoder",
        "kv_source": "encoder",
        "projections": True,
    }
    assert explorer.title and explorer.caption
    before = plt.get_fignums()
    fig = explorer.render()
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before  # no pyplot
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize(("query_source", "kv_source", "projections"), COMBOS)
def test_every_frame_shows_its_shape_and_tokens(explorer, query_source, kv_source, projections):
    values = {"query_source": query_source, "kv_source": kv_source, "projections": projections}
    fig = explorer.render(**values)
    (ax,) = fig.axes
    T, S = LENGTHS[query_source], LENGTHS[kv_source]
    assert f"(T, S) = ({T}, {S})" in ax.get_title()
    assert ("self-attention" in ax.get_title()) == (query_source == kv_source)
    tokens = {"decoder": list(ex.DECODER_TOKENS), "encoder": list(ex.ENCODER_TOKENS)}
    assert [t.get_text() for t in ax.get_yticklabels()] == tokens[query_source]
    assert [t.get_text() for t in ax.get_xticklabels()] == tokens[kv_source]
    assert query_source in ax.get_ylabel() and kv_source in ax.get_xlabel()
    panel = " ".join(t.get_text() for t in fig.texts)
    width = ex.ATTENTION_DIM if projections else ex.EMBED_DIM
    assert f"= ({T}, {width})" in panel and f"= ({S}, {width})" in panel
    assert f"= ({T}, {S})" in panel
    # the cell annotations are the weights the maths helper computes
    weights = ex.source_attention(query_source, kv_source, projections).weights
    shown = [float(t.get_text()) for t in ax.texts]
    assert shown == pytest.approx(weights.flatten().tolist(), abs=0.006)
    assert explorer.frame(**values).startswith(b"<svg")


def test_alt_text_reflects_the_controls(explorer):
    text = explorer.alt_text()
    assert "Q from the decoder (T = 3)" in text and "K and V from the encoder (S = 5)" in text
    assert "(T, S) = (3, 5)" in text and "with learned projections" in text
    assert text.startswith("Cross-attention")
    reversed_ = explorer.alt_text(query_source="encoder", kv_source="decoder")
    assert "(T, S) = (5, 3)" in reversed_ and "encoder asks the decoder" in reversed_
    raw = explorer.alt_text(query_source="encoder", kv_source="encoder", projections=False)
    assert "without projections" in raw and "Scores symmetric: yes" in raw
    assert "5 of 5 tokens give their largest weight to themselves" in raw
    texts = {explorer.alt_text(**values) for values in explorer.grid()}
    assert len(texts) == 8
