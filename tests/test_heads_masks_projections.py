"""split_heads / merge_heads, the masks and their converters, and QKVProjection."""

import torch
from torch import nn

import qkv_lib as qkv


def test_split_heads_shape_and_column_slices():
    x = torch.arange(2 * 3 * 12.0).reshape(2, 3, 12)  # (B, T, E)
    heads = qkv.split_heads(x, 3)  # (B, H, T, Dh)
    assert heads.shape == (2, 3, 3, 4)
    for h in range(3):
        torch.testing.assert_close(heads[:, h], x[..., 4 * h : 4 * (h + 1)])


def test_merge_heads_inverts_split_heads():
    x = torch.randn(2, 5, 12)
    torch.testing.assert_close(qkv.merge_heads(qkv.split_heads(x, 4)), x)
    assert qkv.merge_heads(torch.zeros(2, 3, 5, 4)).shape == (2, 5, 12)


def test_split_heads_is_not_a_bare_reshape():
    x = torch.randn(2, 5, 12)
    assert not torch.equal(qkv.split_heads(x, 3), x.reshape(2, 3, 5, 4))


def test_causal_mask():
    expected = torch.tensor([[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]], dtype=torch.bool)
    assert torch.equal(qkv.causal_mask(3, 5), expected)
    assert torch.equal(qkv.causal_mask(4), torch.ones(4, 4, dtype=torch.bool).tril())
    assert qkv.causal_mask(2).dtype == torch.bool


def test_key_padding_mask():
    mask = qkv.key_padding_mask([3, 5, 0], S=5)
    expected = torch.tensor([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    assert torch.equal(mask, expected)


def test_mask_converters_flip_bools_and_keep_floats():
    keep = qkv.causal_mask(3)
    assert torch.equal(qkv.mha_mask_from_sdpa(keep), ~keep)
    assert torch.equal(qkv.sdpa_mask_from_mha(qkv.mha_mask_from_sdpa(keep)), keep)
    additive = qkv.additive_mask(keep)
    assert torch.equal(qkv.mha_mask_from_sdpa(additive), additive)
    assert additive[0, 0] == 0 and additive[0, 1] == float("-inf")


def test_converted_mask_gives_the_same_attention_in_both_apis():
    torch.manual_seed(0)
    torch_mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = torch.randn(1, 4, 8)
    keep = qkv.causal_mask(4)  # SDPA convention
    out_module, _ = torch_mha(x, x, x, attn_mask=qkv.mha_mask_from_sdpa(keep))
    ours = qkv.MultiHeadAttention.from_torch(torch_mha)
    q, k, v = (qkv.split_heads(t, 2) for t in ours.in_proj(x))
    heads, _ = qkv.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    out_functional = ours.out_proj(qkv.merge_heads(heads))
    torch.testing.assert_close(out_functional, out_module)


def test_qkv_projection_self_and_cross():
    torch.manual_seed(0)
    proj = qkv.QKVProjection(8, 4, kdim=6, vdim=6)
    x, memory = torch.randn(2, 3, 8), torch.randn(2, 5, 6)
    q, k, v = proj(x, memory)
    assert (q.shape, k.shape, v.shape) == ((2, 3, 4), (2, 5, 4), (2, 5, 4))
    torch.testing.assert_close(q, x @ proj.q_proj.weight.T + proj.q_proj.bias)
    torch.testing.assert_close(k, memory @ proj.k_proj.weight.T + proj.k_proj.bias)
    torch.testing.assert_close(v, memory @ proj.v_proj.weight.T + proj.v_proj.bias)

    self_proj = qkv.QKVProjection(8, 4, bias=False)
    q, k, v = self_proj(x)
    torch.testing.assert_close(k, x @ self_proj.k_proj.weight.T)
    assert not torch.allclose(q, k) and not torch.allclose(k, v)  # same input, three roles
    assert self_proj.q_proj.bias is None


def test_qkv_projection_linear_stores_the_transpose():
    proj = qkv.QKVProjection(8, 4)
    assert proj.q_proj.weight.shape == (4, 8)  # (out, in): X @ W.T
