"""Tests for qkv_lib.widgets.heads, chapter 5's explorer: the example, the maths, the frames."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

import qkv_lib as qkv
from qkv_lib.examples import heads as ex
from qkv_lib.widgets import Dropdown, Explorer, Slider
from qkv_lib.widgets import heads as hd


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return hd.heads_explorer()


def _by_hand(num_heads: int) -> torch.Tensor:
    """The example's per-head weights (H, T, T), computed without the library's layer."""
    x, W_q, W_k, _, _ = ex._example()  # (T, E), (E, E), (E, E)
    Dh = ex.EMBED_DIM // num_heads
    q, k = x @ W_q, x @ W_k  # (T, E) each
    maps = []
    for h in range(num_heads):
        cols = slice(h * Dh, (h + 1) * Dh)  # head h's columns
        scores = q[:, cols] @ k[:, cols].T / math.sqrt(Dh)  # (T, T)
        maps.append(torch.softmax(scores, dim=-1))
    return torch.stack(maps)  # (H, T, T)


# --- the example and the maths the figure shows --------------------------------------------


def test_example_has_the_documented_shapes():
    x, tokens = ex.heads_example()
    assert x.shape == (1, len(ex.TOKENS), ex.EMBED_DIM) == (1, 6, 12)  # (B, T, E)
    assert tokens == ex.TOKENS
    assert (x.sum(-1) == 2).all()  # one-hot position + one-hot word
    x[0, 0, 0] = 99.0  # callers get a copy
    assert ex.heads_example()[0][0, 0, 0] == 1.0


@pytest.mark.parametrize("num_heads", hd.HEAD_CHOICES)
def test_head_weights_match_a_computation_by_hand_and_pytorch(num_heads):
    weights = ex.head_weights(num_heads)
    assert weights.shape == (num_heads, 6, 6)  # (H, L, S)
    torch.testing.assert_close(weights, _by_hand(num_heads))
    torch.testing.assert_close(weights.sum(-1), torch.ones(num_heads, 6))
    x, _ = ex.heads_example()
    reference = ex.heads_layer(num_heads).to_torch()
    with torch.no_grad():
        _, torch_weights = reference(x, x, x, average_attn_weights=False)  # (1, H, T, T)
    torch.testing.assert_close(weights, torch_weights[0])


def test_the_layer_has_the_same_weights_for_every_number_of_heads():
    states = [ex.heads_layer(h).state_dict() for h in hd.HEAD_CHOICES]
    for state in states[1:]:
        assert state.keys() == states[0].keys()
        for name, tensor in state.items():
            assert torch.equal(tensor, states[0][name]), name
    assert ex.heads_layer(12).head_dim == 1  # any divisor of E works, not only the grid's


def test_building_the_example_leaves_the_global_rng_alone():
    before = torch.get_rng_state()
    ex.heads_layer(4)
    ex.head_weights(3)
    assert torch.equal(torch.get_rng_state(), before)


def test_the_six_heads_do_their_jobs():
    best = ex.head_weights(6).argmax(dim=-1).tolist()  # (H, L): each query's favourite key
    assert best[0] == [0, 0, 1, 2, 3, 4]  # previous token (the first token: itself)
    assert best[1] == [0, 1, 2, 3, 4, 5]  # the token itself
    assert best[2] == [1, 2, 3, 4, 5, 5]  # next token (the last token: itself)
    assert best[3] == [0] * 6  # the first token
    assert best[5] == [2] * 6  # the verb, "sat"
    nouns = ex.head_weights(6)[4]  # (L, S): "cat" and "mat" share the weight
    torch.testing.assert_close(nouns[:, 1], nouns[:, 5])
    assert (nouns[:, 1] > 0.45).all()
    assert len(ex.HEAD_JOBS) == 6


def test_one_head_blurs_what_six_heads_keep_apart():
    one = ex.head_weights(1)[0]  # (L, S)
    six = ex.head_weights(6)  # (H, L, S)
    assert len({tuple(m.argmax(-1).tolist()) for m in six}) == 6  # six different patterns
    assert one.argmax(-1).tolist() == [0, 1, 2, 3, 4, 5]  # one head: mostly "itself"


def test_top_keys_names_ties_and_repeated_words():
    assert ex.token_name(0) == "the (0)" and ex.token_name(4) == "the (4)"
    assert ex.token_name(1) == "cat"
    top = ex.top_keys(6, 2)  # the query "sat"
    assert [keys for keys, _ in top] == [
        ("cat",),
        ("sat",),
        ("on",),
        ("the (0)",),
        ("cat", "mat"),  # a tie
        ("sat",),
    ]
    weights = ex.head_weights(6)[:, 2].max(dim=-1).values  # (H,)
    assert [w for _, w in top] == pytest.approx(weights.tolist())


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
            assert image.get_array().shape == (6, 6)  # (L, S)
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


def test_the_layer_is_the_library_module():
    layer = ex.heads_layer(3)
    assert isinstance(layer, qkv.MultiHeadAttention)
    assert layer.num_heads == 3 and layer.head_dim == 4
    assert layer.out_proj.bias is None and layer.qkv.q_proj.bias is None
