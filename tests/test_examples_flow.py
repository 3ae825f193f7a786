"""Tests for qkv_lib.examples.flow, chapter 4's worked example: steps, masks, scaling."""

from __future__ import annotations

import math

import pytest
import torch

import qkv_lib as qkv
from qkv_lib.examples import flow as ex


def _combos():
    return [(s, m) for s in (True, False) for m in ex.MASKS]


def test_example_has_the_documented_shapes():
    Q, K, V = ex.flow_example()
    assert Q.shape == (4, 4) and K.shape == (4, 4) and V.shape == (4, 2)  # (T,d_k) (S,d_k) (S,Dv)
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
    sharp = ex.flow_steps(False, "none")["weights"].max(-1).values  # (T,)
    spread = ex.flow_steps(True, "none")["weights"].max(-1).values  # (T,)
    assert (spread < sharp).all()
