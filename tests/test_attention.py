"""scaled_dot_product_attention and masked_softmax against torch's functional attention."""

import math

import pytest
import torch
import torch.nn.functional as F

import qkv_lib as qkv


def torch_reference(query, key, value, **kwargs):
    """Torch's output, and its weights read off by attending over an identity matrix of values."""
    out = F.scaled_dot_product_attention(query, key, value, **kwargs)
    S = key.size(-2)
    eye = torch.eye(S, dtype=query.dtype).expand(*key.shape[:-2], S, S)
    weights = F.scaled_dot_product_attention(query, key, eye, **kwargs)
    return out, weights


def random_qkv(batch, T, S, Dk, Dv, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(*batch, T, Dk, generator=g, dtype=dtype)
    k = torch.randn(*batch, S, Dk, generator=g, dtype=dtype)
    v = torch.randn(*batch, S, Dv, generator=g, dtype=dtype)
    return q, k, v


def keep_first_key(mask):
    """Make sure every query may attend to at least key 0 (no fully masked row)."""
    mask = mask.clone()
    mask[..., 0] = True
    return mask


def make_mask(kind, batch, T, S, dtype, seed=1):
    g = torch.Generator().manual_seed(seed)
    if kind is None:
        return None
    if kind == "bool-2d":
        return keep_first_key(torch.rand(T, S, generator=g) > 0.4)
    if kind == "bool-batched":
        return keep_first_key(torch.rand(*batch, T, S, generator=g) > 0.4)
    if kind == "float-2d":
        return torch.randn(T, S, generator=g, dtype=dtype)
    if kind == "float-inf":
        keep = keep_first_key(torch.rand(*batch, T, S, generator=g) > 0.4)
        return torch.zeros(*batch, T, S, dtype=dtype).masked_fill(~keep, float("-inf"))
    raise AssertionError(kind)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
@pytest.mark.parametrize("T,S", [(3, 5), (5, 3), (4, 4)])
@pytest.mark.parametrize("mask", [None, "bool-2d", "bool-batched", "float-2d", "float-inf"])
def test_matches_torch(dtype, batch, T, S, mask):
    q, k, v = random_qkv(batch, T, S, Dk=8, Dv=6, dtype=dtype)
    attn_mask = make_mask(mask, batch, T, S, dtype)
    out, weights = qkv.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
    ref_out, ref_weights = torch_reference(q, k, v, attn_mask=attn_mask)
    assert out.shape == (*batch, T, 6) and weights.shape == (*batch, T, S)
    assert out.dtype == dtype
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(weights, ref_weights)


@pytest.mark.parametrize("T,S", [(3, 5), (5, 3), (4, 4)])
def test_is_causal_matches_torch(T, S):
    q, k, v = random_qkv((2,), T, S, Dk=8, Dv=6)
    out, weights = qkv.scaled_dot_product_attention(q, k, v, is_causal=True)
    ref_out, ref_weights = torch_reference(q, k, v, is_causal=True)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(weights, ref_weights)
    future = ~qkv.causal_mask(T, S)
    assert torch.all(weights[..., future] == 0)


@pytest.mark.parametrize("scale", [0.1, 1.0, 2])
def test_custom_scale_matches_torch(scale):
    q, k, v = random_qkv((2,), 3, 5, Dk=8, Dv=6)
    out, weights = qkv.scaled_dot_product_attention(q, k, v, scale=scale)
    ref_out, ref_weights = torch_reference(q, k, v, scale=float(scale))
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(weights, ref_weights)


def test_default_scale_is_one_over_sqrt_d_k():
    q, k, v = random_qkv((), 3, 5, Dk=16, Dv=6)
    _, weights = qkv.scaled_dot_product_attention(q, k, v)
    expected = torch.softmax(q @ k.T / math.sqrt(16), dim=-1)
    torch.testing.assert_close(weights, expected)


def test_weights_are_probabilities_over_keys():
    q, k, v = random_qkv((2,), 3, 5, Dk=8, Dv=6)
    _, weights = qkv.scaled_dot_product_attention(q, k, v)
    assert torch.all(weights >= 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, dtype=weights.dtype))


def test_broadcast_batch_dimensions():
    q, _, _ = random_qkv((2, 1), 3, 5, Dk=8, Dv=6)
    _, k, v = random_qkv((1, 4), 3, 5, Dk=8, Dv=6, seed=3)
    out, weights = qkv.scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 4, 3, 6) and weights.shape == (2, 4, 3, 5)
    ref_out, _ = torch_reference(q.expand(2, 4, 3, 8), k.expand(2, 4, 5, 8), v.expand(2, 4, 5, 6))
    torch.testing.assert_close(out, ref_out)


@pytest.mark.parametrize("as_float", [False, True])
def test_fully_masked_query_gets_zero_weights_and_output(as_float):
    """The documented choice: nothing to attend to means nothing retrieved (torch SDPA agrees)."""
    q, k, v = random_qkv((), 3, 5, Dk=8, Dv=6)
    keep = torch.ones(3, 5, dtype=torch.bool)
    keep[1] = False  # query 1 may attend to no key at all
    mask = qkv.additive_mask(keep, torch.float64) if as_float else keep
    out, weights = qkv.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.all(weights[1] == 0) and torch.all(out[1] == 0)
    assert not torch.isnan(out).any()
    torch.testing.assert_close(weights[[0, 2]].sum(-1), torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))


def test_masked_softmax_plain_rows_equal_softmax():
    scores = torch.randn(4, 7, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(qkv.masked_softmax(scores), torch.softmax(scores, -1))


def test_gradients_flow_and_stay_finite_with_a_fully_masked_row():
    q, k, v = (t.requires_grad_() for t in random_qkv((), 3, 5, Dk=8, Dv=6))
    keep = torch.ones(3, 5, dtype=torch.bool)
    keep[2] = False
    out, _ = qkv.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    out.sum().backward()
    for t in (q, k, v):
        assert torch.isfinite(t.grad).all()
    assert torch.all(q.grad[2] == 0)


@pytest.mark.parametrize("mask", [None, "bool-batched", "float-2d"])
def test_gradients_match_torch(mask):
    """With autograd the weights are a new tensor (without, they overwrite the scores)."""
    ours = [t.requires_grad_() for t in random_qkv((2,), 3, 5, Dk=8, Dv=6)]
    theirs = [t.detach().clone().requires_grad_() for t in ours]
    attn_mask = make_mask(mask, (2,), 3, 5, torch.float64)
    out, weights = qkv.scaled_dot_product_attention(*ours, attn_mask=attn_mask)
    (out.square().sum() + weights[..., 0].sum()).backward()
    ref_out, ref_weights = torch_reference(*theirs, attn_mask=attn_mask)
    (ref_out.square().sum() + ref_weights[..., 0].sum()).backward()
    for mine, reference in zip(ours, theirs, strict=True):
        torch.testing.assert_close(mine.grad, reference.grad)


def test_same_numbers_with_and_without_autograd():
    q, k, v = random_qkv((2, 3), 4, 6, Dk=8, Dv=5)
    with torch.no_grad():
        out, weights = qkv.scaled_dot_product_attention(q, k, v)
    grad_out, grad_weights = qkv.scaled_dot_product_attention(q.requires_grad_(), k, v)
    assert grad_weights.requires_grad and not weights.requires_grad
    torch.testing.assert_close(out, grad_out.detach(), rtol=0, atol=0)
    torch.testing.assert_close(weights, grad_weights.detach(), rtol=0, atol=0)
