"""Tests for qkv_lib.examples.sources, chapter 2's decoder and encoder sequences."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

import qkv_lib as qkv
from qkv_lib.examples import sources as ex
from qkv_lib.widgets import Explorer, sources

COMBOS = list(itertools.product(ex.SOURCES, ex.SOURCES, (True, False)))


LENGTHS = {"decoder": 3, "encoder": 5}


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return sources.source_explorer()


def test_toy_data_is_fixed_and_leaves_the_global_rng_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    sequences = ex.toy_sequences()
    projection = ex.toy_projection()
    ex.source_attention()
    torch.testing.assert_close(torch.rand(3), expected)  # nothing drawn from the global RNG
    assert sequences["decoder"].shape == (3, ex.EMBED_DIM)
    assert sequences["encoder"].shape == (5, ex.EMBED_DIM)
    again = ex.toy_sequences()
    for name in ex.SOURCES:
        torch.testing.assert_close(sequences[name], again[name], rtol=0, atol=0)
        # every embedding has length √E
        lengths = sequences[name].norm(dim=-1)
        torch.testing.assert_close(lengths, torch.full_like(lengths, math.sqrt(6)))
    assert isinstance(projection, qkv.QKVProjection)
    assert projection.q_proj.weight.shape == (ex.ATTENTION_DIM, ex.EMBED_DIM)
    assert not any(p.requires_grad for p in projection.parameters())


def test_toy_data_copies_cannot_change_the_explorer():
    ex.toy_sequences()["decoder"].zero_()
    with torch.no_grad():
        ex.toy_projection().q_proj.weight.zero_()
    a = ex.source_attention("decoder", "decoder", True)
    assert a.x_q.abs().sum() > 0 and a.q.abs().sum() > 0


@pytest.mark.parametrize(("query_source", "kv_source", "projections"), COMBOS)
def test_source_attention_shapes_and_values(query_source, kv_source, projections):
    a = ex.source_attention(query_source, kv_source, projections)
    T, S = LENGTHS[query_source], LENGTHS[kv_source]
    width = ex.ATTENTION_DIM if projections else ex.EMBED_DIM
    assert a.q.shape == (T, width) and a.k.shape == (S, width) and a.v.shape == (S, width)
    assert a.weights.shape == a.scores.shape == (T, S)
    assert a.out.shape == (T, width)
    assert len(a.query_tokens) == T and len(a.key_tokens) == S
    seqs = ex.toy_sequences()
    torch.testing.assert_close(a.x_q, seqs[query_source])
    torch.testing.assert_close(a.x_kv, seqs[kv_source])
    if projections:
        q, k, v = ex.toy_projection()(seqs[query_source], seqs[kv_source])
    else:
        q, k, v = seqs[query_source], seqs[kv_source], seqs[kv_source]
    torch.testing.assert_close(a.q, q)
    torch.testing.assert_close(a.k, k)
    torch.testing.assert_close(a.v, v)
    torch.testing.assert_close(a.scores, q @ k.T / math.sqrt(width))
    torch.testing.assert_close(a.weights, torch.softmax(a.scores, dim=-1))
    torch.testing.assert_close(a.weights.sum(dim=-1), torch.ones(T))
    torch.testing.assert_close(a.out, a.weights @ v)


def test_cross_attention_matches_the_library_layer():
    """The explorer's decoder-to-encoder map is what MultiHeadAttention computes with H = 1."""
    seqs = ex.toy_sequences()
    projection = ex.toy_projection()
    layer = qkv.MultiHeadAttention(
        ex.EMBED_DIM, 1, kdim=ex.EMBED_DIM, vdim=ex.EMBED_DIM, bias=False
    )
    # MultiHeadAttention projects to E, our toy layer to d_k < E: pad W_q, W_k, W_v with
    # zero rows, which adds nothing to the dot products but changes the √d_k scale.
    a = ex.source_attention("decoder", "encoder", True)
    with torch.no_grad():
        scale = math.sqrt(ex.EMBED_DIM / ex.ATTENTION_DIM)
        for target, source, factor in (
            (layer.in_proj.q_proj, projection.q_proj, scale),
            (layer.in_proj.k_proj, projection.k_proj, 1.0),
            (layer.in_proj.v_proj, projection.v_proj, 1.0),
        ):
            target.weight.zero_()
            target.weight[: ex.ATTENTION_DIM] = factor * source.weight
        _, weights = layer(seqs["decoder"], seqs["encoder"])  # (T, S)
    torch.testing.assert_close(weights, a.weights)


def test_without_projections_self_attention_is_symmetric_and_diagonal():
    for name in ex.SOURCES:
        raw = ex.source_attention(name, name, False)
        torch.testing.assert_close(raw.scores, raw.scores.T)
        assert raw.symmetric is True
        assert raw.diagonal_wins == LENGTHS[name]  # equal lengths: Cauchy–Schwarz
        projected = ex.source_attention(name, name, True)
        assert projected.symmetric is False
        assert projected.diagonal_wins < LENGTHS[name]


def test_cross_attention_has_no_diagonal_or_symmetry():
    a = ex.source_attention("encoder", "decoder", True)
    assert not a.is_self and a.symmetric is None and a.diagonal_wins is None


def test_source_attention_rejects_unknown_sources():
    with pytest.raises(ValueError, match=r"query_source must be one of \('decoder', 'encoder'\)"):
        ex.source_attention("queries", "encoder")
    with pytest.raises(ValueError, match="kv_source"):
        ex.source_attention("decoder", None)
