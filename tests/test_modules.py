"""MultiHeadAttention reproduces torch.nn.MultiheadAttention, weights copied with from_torch."""

import itertools

import pytest
import torch
from torch import nn

import qkv_lib as qkv

B, T, S, E, H = 2, 3, 5, 12, 3
KDIM, VDIM = 6, 10  # cross-attention: keys and values come from a sequence of another width

MASKS = [
    None,
    "padding-bool",
    "padding-float",
    "attn-bool-2d",
    "attn-float-2d",
    "attn-bool-3d",
    "attn-float-3d",
    "both-bool",
    "both-float",
    "causal",
]
WEIGHT_MODES = [(False, True), (True, True), (True, False)]  # (need_weights, average)


def make_masks(kind, T, S, dtype, seed=0):
    """Masks in the module convention (bool True = may NOT attend); no fully masked query."""
    g = torch.Generator().manual_seed(seed)
    padding = torch.tensor([[False] * S, [False] * (S - 2) + [True] * 2])  # (B, S)
    attn_2d = torch.rand(T, S, generator=g) < 0.3
    attn_2d[:, 0] = False
    attn_3d = torch.rand(B * H, T, S, generator=g) < 0.3
    attn_3d[..., 0] = False

    def to_float(mask):
        noise = torch.randn(mask.shape, generator=g, dtype=dtype)
        return noise.masked_fill(mask, float("-inf"))

    return {
        None: {},
        "padding-bool": {"key_padding_mask": padding},
        "padding-float": {"key_padding_mask": to_float(padding)},
        "attn-bool-2d": {"attn_mask": attn_2d},
        "attn-float-2d": {"attn_mask": to_float(attn_2d)},
        "attn-bool-3d": {"attn_mask": attn_3d},
        "attn-float-3d": {"attn_mask": to_float(attn_3d)},
        "both-bool": {"key_padding_mask": padding, "attn_mask": attn_2d},
        "both-float": {"key_padding_mask": to_float(padding), "attn_mask": to_float(attn_3d)},
        "causal": {"attn_mask": ~qkv.causal_mask(T, S), "is_causal": True},
    }[kind]


def pair(batch_first, cross, bias, dtype, seed=0):
    torch.manual_seed(seed)
    kdim, vdim = (KDIM, VDIM) if cross else (None, None)
    reference = nn.MultiheadAttention(
        E, H, bias=bias, kdim=kdim, vdim=vdim, batch_first=batch_first, dtype=dtype
    )
    if bias:  # torch initialises biases to zero; make them count
        with torch.no_grad():
            reference.in_proj_bias.normal_()
            reference.out_proj.bias.normal_()
    return reference, qkv.MultiHeadAttention.from_torch(reference)


def inputs(batch_first, cross, dtype, T=T, S=S, seed=1):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(B, T, E, generator=g, dtype=dtype)
    if cross:
        key = torch.randn(B, S, KDIM, generator=g, dtype=dtype)
        value = torch.randn(B, S, VDIM, generator=g, dtype=dtype)
    else:
        key = value = query
    if not batch_first:
        query, key, value = (t.transpose(0, 1) for t in (query, key, value))
    return query, key, value


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("need_weights,average", WEIGHT_MODES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cross", [False, True], ids=["self", "cross"])
@pytest.mark.parametrize("batch_first", [True, False], ids=["batch_first", "seq_first"])
def test_matches_torch(batch_first, cross, bias, need_weights, average, mask, dtype):
    reference, ours = pair(batch_first, cross, bias, dtype)
    Tq, Sk = (T, S) if cross else (T, T)
    query, key, value = inputs(batch_first, cross, dtype)
    masks = make_masks(mask, Tq, Sk, dtype)
    kwargs = {"need_weights": need_weights, "average_attn_weights": average, **masks}
    expected_out, expected_w = reference(query, key, value, **kwargs)
    out, weights = ours(query, key, value, **kwargs)
    torch.testing.assert_close(out, expected_out)
    if need_weights:
        torch.testing.assert_close(weights, expected_w)
        assert weights.shape == ((B, Tq, Sk) if average else (B, H, Tq, Sk))
    else:
        assert weights is None and expected_w is None


@pytest.mark.parametrize("batch_first", [True, False])
def test_matches_torch_in_eval_mode(batch_first):
    """torch may take its fused fast path in eval mode under no_grad; the numbers agree."""
    reference, ours = pair(batch_first, cross=False, bias=True, dtype=torch.float32)
    reference.eval()
    query, _, _ = inputs(batch_first, False, torch.float32)
    with torch.no_grad():
        expected, _ = reference(query, query, query, need_weights=False)
        out, _ = ours(query, need_weights=False)
    torch.testing.assert_close(out, expected)


def test_unbatched_inputs_match_torch():
    reference, ours = pair(True, cross=True, bias=True, dtype=torch.float64)
    query, key, value = (t[0] for t in inputs(True, True, torch.float64))
    padding = torch.tensor([False, False, False, True, True])
    for kwargs in ({}, {"key_padding_mask": padding}, {"average_attn_weights": False}):
        expected_out, expected_w = reference(query, key, value, **kwargs)
        out, weights = ours(query, key, value, **kwargs)
        torch.testing.assert_close(out, expected_out)
        torch.testing.assert_close(weights, expected_w)


def test_key_defaults_to_query_and_value_to_key():
    reference, ours = pair(True, cross=False, bias=True, dtype=torch.float64)
    x, _, _ = inputs(True, False, torch.float64)
    memory = torch.randn(B, S, E, dtype=torch.float64)
    torch.testing.assert_close(ours(x)[0], reference(x, x, x)[0])
    torch.testing.assert_close(ours(x, memory)[0], reference(x, memory, memory)[0])


def test_is_causal_without_mask_builds_the_causal_mask():
    reference, ours = pair(True, cross=False, bias=True, dtype=torch.float64)
    x, _, _ = inputs(True, False, torch.float64)
    expected = reference(x, x, x, attn_mask=~qkv.causal_mask(T), is_causal=True)
    out, weights = ours(x, is_causal=True)
    torch.testing.assert_close(out, expected[0])
    torch.testing.assert_close(weights, expected[1])
    assert torch.all(weights[:, ~qkv.causal_mask(T)] == 0)


def test_fully_masked_query_outputs_the_output_bias():
    """Documented difference: torch's module gives NaN here, ours a zero attention output."""
    reference, ours = pair(True, cross=True, bias=True, dtype=torch.float64)
    query, key, value = inputs(True, True, torch.float64)
    attn_mask = torch.zeros(T, S, dtype=torch.bool)
    attn_mask[1] = True  # query 1 may attend to nothing
    out, weights = ours(query, key, value, attn_mask=attn_mask)
    assert torch.all(weights[:, 1] == 0)
    torch.testing.assert_close(out[:, 1], ours.out_proj.bias.expand(B, E))
    expected, _ = reference(query, key, value, attn_mask=attn_mask)
    assert torch.isnan(expected[:, 1]).all()
    torch.testing.assert_close(out[:, [0, 2]], expected[:, [0, 2]])


@pytest.mark.parametrize("cross,bias", list(itertools.product([False, True], [False, True])))
def test_to_torch_round_trip(cross, bias):
    _, ours = pair(True, cross, bias, torch.float64)
    back = ours.to_torch()
    query, key, value = inputs(True, cross, torch.float64)
    torch.testing.assert_close(back(query, key, value)[0], ours(query, key, value)[0])
    if not cross:
        q_weight, k_weight, v_weight = back.in_proj_weight.chunk(3)  # W_qᵀ, W_kᵀ, W_vᵀ
        torch.testing.assert_close(q_weight, ours.in_proj.q_proj.weight)
        torch.testing.assert_close(k_weight, ours.in_proj.k_proj.weight)
        torch.testing.assert_close(v_weight, ours.in_proj.v_proj.weight)


def test_from_torch_copies_rather_than_shares_parameters():
    reference, ours = pair(True, cross=False, bias=True, dtype=torch.float32)
    with torch.no_grad():
        ours.out_proj.weight.zero_()
    assert reference.out_proj.weight.abs().sum() > 0


def test_parameter_count_matches_torch_and_does_not_depend_on_heads():
    counts = {
        h: sum(p.numel() for p in qkv.MultiHeadAttention(E, h).parameters()) for h in (1, 2, 3, 4)
    }
    torch_count = sum(p.numel() for p in nn.MultiheadAttention(E, H).parameters())
    assert set(counts.values()) == {torch_count} == {4 * E * E + 4 * E}


def test_gradients_reach_every_projection():
    _, ours = pair(True, cross=True, bias=True, dtype=torch.float64)
    out, _ = ours(*inputs(True, True, torch.float64))
    out.square().sum().backward()
    for name, parameter in ours.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"dropout": 0.1}, "dropout=0.1"),
        ({"add_bias_kv": True}, "add_bias_kv=True"),
        ({"add_zero_attn": True}, "add_zero_attn=True"),
    ],
)
def test_from_torch_refuses_what_it_does_not_model(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment.replace(".", r"\.")):
        qkv.MultiHeadAttention.from_torch(nn.MultiheadAttention(E, H, **kwargs))


def test_from_torch_refuses_other_modules():
    with pytest.raises(TypeError, match=r"torch\.nn\.MultiheadAttention, got Linear"):
        qkv.MultiHeadAttention.from_torch(nn.Linear(4, 4))


@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
def test_is_causal_alone_matches_torch_given_the_causal_mask(need_weights, padded):
    """is_causal without attn_mask builds the causal mask; a key_padding_mask is added to it."""
    reference, ours = pair(True, cross=False, bias=True, dtype=torch.float64)
    x, _, _ = inputs(True, False, torch.float64)
    kwargs = {"need_weights": need_weights}
    if padded:
        kwargs["key_padding_mask"] = torch.tensor([[False] * T, [False] * (T - 1) + [True]])
    causal = ~qkv.causal_mask(T)  # (T, T), module convention: True = may not attend
    expected, _ = reference(x, x, x, attn_mask=causal, is_causal=True, **kwargs)
    out, _ = ours(x, is_causal=True, **kwargs)
    torch.testing.assert_close(out, expected)


def fully_masked(kind):
    """Module-convention masks that leave some queries no key at all, and those (b, t) pairs."""
    if kind == "attn-bool":
        attn_mask = torch.zeros(T, S, dtype=torch.bool)
        attn_mask[1] = True  # query 1 may attend to nothing, in every batch item
        return {"attn_mask": attn_mask}, [(b, 1) for b in range(B)]
    if kind == "attn-float":
        attn_mask = torch.zeros(T, S, dtype=torch.float64)
        attn_mask[2] = float("-inf")
        return {"attn_mask": attn_mask}, [(b, 2) for b in range(B)]
    if kind == "padding":
        padding = torch.zeros(B, S, dtype=torch.bool)
        padding[1] = True  # batch item 1 has no real key: all its queries are blocked
        return {"key_padding_mask": padding}, [(1, t) for t in range(T)]
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["attn-bool", "attn-float", "padding"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_fully_masked_query_outputs_the_output_bias_with_or_without_weights(kind, need_weights):
    """The documented result holds on both paths (ours with weights, the fused kernel without)."""
    reference, ours = pair(True, cross=True, bias=True, dtype=torch.float64)
    query, key, value = inputs(True, True, torch.float64)
    masks, blocked = fully_masked(kind)
    out, _ = ours(query, key, value, need_weights=need_weights, **masks)
    expected, _ = reference(query, key, value, need_weights=need_weights, **masks)
    free = torch.ones(B, T, dtype=torch.bool)
    for b, t in blocked:
        torch.testing.assert_close(out[b, t], ours.out_proj.bias)
        free[b, t] = False
    torch.testing.assert_close(out[free], expected[free])


def test_fused_kernel_giving_nan_on_fully_masked_rows_is_corrected(monkeypatch):
    """Some fused kernels (older torch, some GPUs) give NaN where a query sees no key."""
    real = torch.nn.functional.scaled_dot_product_attention

    def nan_on_blocked_rows(q, k, v, attn_mask=None, **kwargs):
        out = real(q, k, v, attn_mask=attn_mask, **kwargs)
        if attn_mask is None:
            return out
        blocked = torch.isneginf(attn_mask).all(dim=-1, keepdim=True)  # (..., T, 1)
        return out.masked_fill(blocked, float("nan"))

    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", nan_on_blocked_rows)
    _, ours = pair(True, cross=True, bias=True, dtype=torch.float64)
    query, key, value = inputs(True, True, torch.float64)
    masks, _ = fully_masked("padding")
    out, _ = ours(query, key, value, need_weights=False, **masks)
    assert not torch.isnan(out).any()
    torch.testing.assert_close(out[1], ours.out_proj.bias.expand(T, E))
    torch.testing.assert_close(out, ours(query, key, value, **masks)[0])


@pytest.mark.parametrize("need_weights", [True, False])
def test_each_projection_runs_as_its_own_module(need_weights):
    """Chapter 6 hooks q_proj to show what it receives: a faster stacked projection of
    self-attention (one matmul with [W_qᵀ; W_kᵀ; W_vᵀ]) would skip the hooks, so there is none."""
    _, ours = pair(True, cross=False, bias=True, dtype=torch.float64)
    x, _, _ = inputs(True, False, torch.float64)
    seen = {}
    layers = {"q": ours.in_proj.q_proj, "k": ours.in_proj.k_proj, "v": ours.in_proj.v_proj}
    handles = [
        layer.register_forward_hook(
            lambda module, args, output, name=name: seen.update({name: (args[0], output)})
        )
        for name, layer in layers.items()
    ]
    try:
        ours(x, need_weights=need_weights)
    finally:
        for handle in handles:
            handle.remove()
    assert set(seen) == {"q", "k", "v"}
    for name, (received, made) in seen.items():
        assert received is x
        layer = layers[name]
        torch.testing.assert_close(made, x @ layer.weight.T + layer.bias)
