"""Property-based parity with PyTorch (Hypothesis): the module, SDPA and grouped-query attention.

Hypothesis draws the sizes, the flags and which query rows are fully masked; a seeded
torch.Generator draws the numbers. How many examples run is the Hypothesis profile's choice
(tests/conftest.py: "ci" fixed and derandomized, "dev" more); ``@settings`` here only lifts
the per-example deadline, since a first torch call can be slow.

* ``qkv.MultiHeadAttention.from_torch(m)`` matches ``m`` wherever ``m`` is defined. Where a
  query's keys are all masked in some head, ``m`` may return NaN (always with
  ``need_weights=True``) and the module documents its own result: zero weights in that head,
  so an output of ``out_proj.bias`` when every head is blocked; all rows are also checked
  against that, built from torch's functional SDPA (which gives zeros there too).
* ``to_torch()`` undoes ``from_torch``: same state, bit-identical outputs.
* ``qkv.scaled_dot_product_attention`` and ``qkv.grouped_query_attention`` match
  ``torch.nn.functional.scaled_dot_product_attention`` (``enable_gqa=True`` for the latter).

Shapes: B batch, T queries, S keys, E embed dim, H heads, Dh head dim, Dv value dim.
Counterexamples Hypothesis found are kept as example tests at the end of the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

import qkv_lib as qkv
from qkv_lib._threads import one_thread

DTYPES = (torch.float32, torch.float64)
TOLERANCE = {
    torch.float32: {"rtol": 1e-4, "atol": 1e-5},
    torch.float64: {"rtol": 1e-9, "atol": 1e-11},
}
NO_DEADLINE = settings(deadline=None)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors want one intra-op thread: on a busy 2-core machine a second one makes a
    3 x 5 softmax take milliseconds instead of microseconds (threads wait for each other)."""
    with one_thread():
        yield


def assert_close(actual: Tensor, expected: Tensor, **kwargs) -> None:
    torch.testing.assert_close(actual, expected, **TOLERANCE[expected.dtype], **kwargs)


def as_float_mask(blocked: Tensor, dtype: torch.dtype, g: torch.Generator) -> Tensor:
    """A float mask with the same blocked entries: finite noise where allowed, -inf where not."""
    noise = 0.5 * torch.randn(blocked.shape, generator=g, dtype=dtype)
    return noise.masked_fill(blocked, float("-inf"))


def additive(mask: Tensor | None, dtype: torch.dtype) -> Tensor:
    """A module-convention mask (bool True = blocked) or a float mask, as added scores."""
    if mask is None:
        return torch.zeros((), dtype=dtype)
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype).masked_fill(mask, float("-inf"))
    return mask


def reference_attention(q, k, v, add=None, scale=None):
    """torch's functional SDPA for the output, an explicit softmax for the weights.

    ``add`` is a float mask added to the scores (or None). A row whose scores are all -inf
    gets zero weights, as in F.scaled_dot_product_attention.
    """
    scale = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=add, scale=scale)
    scores = q @ k.transpose(-2, -1) * scale
    scores = scores if add is None else scores + add
    weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)  # all -inf -> NaN -> 0
    return out, weights


# --------------------------------------------------------------------------------------------
# MultiHeadAttention against torch.nn.MultiheadAttention


@dataclass(frozen=True)
class ModuleCase:
    dtype: torch.dtype
    B: int
    T: int
    S: int
    H: int
    Dh: int
    source: str  # "self" (key = value = query), "memory" (width E) or "kdim" (kdim, vdim)
    kdim: int | None
    vdim: int | None
    bias: bool
    batch_first: bool
    batched: bool
    attn: str | None  # None, "2d", "3d" or "causal"
    padding: bool
    float_masks: bool
    density: float
    blocked_attn: frozenset  # rows (t,) of a 2-D or (b*H + h, t) of a 3-D mask fully blocked
    blocked_batches: frozenset  # b whose keys are all padding
    need_weights: bool
    average: bool
    eval_mode: bool
    seed: int

    @property
    def E(self) -> int:
        return self.H * self.Dh


@st.composite
def module_cases(draw) -> ModuleCase:
    dtype = draw(st.sampled_from(DTYPES))
    H, Dh = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batched = draw(st.booleans())
    B = draw(st.integers(1, 3)) if batched else 1
    source = draw(st.sampled_from(["self", "memory", "kdim"]))
    T = draw(st.integers(1, 4))
    S = T if source == "self" else draw(st.integers(1, 5))
    kdim = vdim = None
    if source == "kdim":
        kdim, vdim = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    attn = draw(st.sampled_from([None, "2d", "3d", "causal"]))
    blocked_attn = frozenset()
    if attn == "2d":
        blocked_attn = draw(st.frozensets(st.tuples(st.integers(0, T - 1)), max_size=T))
    elif attn == "3d":
        rows = st.tuples(st.integers(0, B * H - 1), st.integers(0, T - 1))
        blocked_attn = draw(st.frozensets(rows, max_size=3))
    padding = draw(st.booleans())
    blocked_batches = (
        draw(st.frozensets(st.integers(0, B - 1), max_size=B)) if padding else frozenset()
    )
    need_weights = draw(st.booleans())
    return ModuleCase(
        dtype=dtype,
        B=B,
        T=T,
        S=S,
        H=H,
        Dh=Dh,
        source=source,
        kdim=kdim,
        vdim=vdim,
        bias=draw(st.booleans()),
        batch_first=draw(st.booleans()),
        batched=batched,
        attn=attn,
        padding=padding,
        float_masks=draw(st.booleans()),
        density=draw(st.sampled_from([0.0, 0.3, 0.7])),
        blocked_attn=blocked_attn,
        blocked_batches=blocked_batches,
        need_weights=need_weights,
        average=draw(st.booleans()) if need_weights else True,
        eval_mode=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )


def torch_module(case: ModuleCase) -> nn.MultiheadAttention:
    torch.manual_seed(case.seed)
    module = nn.MultiheadAttention(
        case.E,
        case.H,
        bias=case.bias,
        kdim=case.kdim,
        vdim=case.vdim,
        batch_first=case.batch_first,
        dtype=case.dtype,
    )
    if case.bias:  # torch starts the biases at zero; make them count
        with torch.no_grad():
            module.in_proj_bias.normal_()
            module.out_proj.bias.normal_()
    return module.train(not case.eval_mode)


@dataclass
class ModuleInputs:
    """Batch-first tensors and masks, and the (B, H, T, S) entries they block."""

    query: Tensor  # (B, T, E)
    key: Tensor  # (B, S, kdim)
    value: Tensor  # (B, S, vdim)
    attn_mask: Tensor | None  # module convention: (T, S) or (B*H, T, S)
    key_padding_mask: Tensor | None  # (B, S)
    blocked: Tensor  # (B, H, T, S) bool, True = the query may not see that key


def module_inputs(case: ModuleCase) -> ModuleInputs:
    g = torch.Generator().manual_seed(case.seed)
    B, T, S, H, E, dtype = case.B, case.T, case.S, case.H, case.E, case.dtype
    query = torch.randn(B, T, E, generator=g, dtype=dtype)
    if case.source == "self":
        key = value = query
    else:
        key = torch.randn(B, S, case.kdim or E, generator=g, dtype=dtype)
        value = torch.randn(B, S, case.vdim or E, generator=g, dtype=dtype)
    blocked = torch.zeros(B, H, T, S, dtype=torch.bool)
    attn_mask = key_padding_mask = None
    if case.attn == "causal":
        blocked |= ~qkv.causal_mask(T, S)
    elif case.attn is not None:
        shape = (T, S) if case.attn == "2d" else (B * H, T, S)
        attn_mask = torch.rand(shape, generator=g) < case.density
        for row in case.blocked_attn:
            attn_mask[row] = True
        blocked |= attn_mask if case.attn == "2d" else attn_mask.view(B, H, T, S)
    if case.padding:
        key_padding_mask = torch.rand(B, S, generator=g) < case.density
        for b in case.blocked_batches:
            key_padding_mask[b] = True
        blocked |= key_padding_mask[:, None, None, :]
    if case.float_masks:
        attn_mask = None if attn_mask is None else as_float_mask(attn_mask, dtype, g)
        if key_padding_mask is not None:
            key_padding_mask = as_float_mask(key_padding_mask, dtype, g)
    return ModuleInputs(query, key, value, attn_mask, key_padding_mask, blocked)


def layout(case: ModuleCase, x: Tensor) -> Tensor:
    """A batch-first (B, N, ...) tensor in the case's layout: unbatched or sequence-first."""
    if not case.batched:
        return x[0]
    return x if case.batch_first else x.transpose(0, 1)


def batch_first(case: ModuleCase, x: Tensor | None, weights: bool = False) -> Tensor | None:
    """Undo :func:`layout` on an output (``weights`` are batch-first in every layout)."""
    if x is None or not case.batched:
        return None if x is None else x[None]
    return x if case.batch_first or weights else x.transpose(0, 1)


def call_both(case: ModuleCase, first, second, inputs: ModuleInputs):
    """Run two modules (torch's or ours) on the case's inputs; outputs come back batch-first."""
    query, key, value = (layout(case, t) for t in (inputs.query, inputs.key, inputs.value))
    if case.source == "self":
        key = value = query  # the same tensor object: torch's fast path may kick in
    padding = inputs.key_padding_mask
    if not case.batched and padding is not None:
        padding = padding[0]  # (S,)
    kwargs = {
        "need_weights": case.need_weights,
        "average_attn_weights": case.average,
        "key_padding_mask": padding,
        "attn_mask": inputs.attn_mask,
    }
    results = []
    for module in (first, second):
        if case.attn == "causal" and isinstance(module, nn.MultiheadAttention):
            causal = ~qkv.causal_mask(case.T, case.S)  # torch wants the mask with the hint
            causal = additive(causal, case.dtype) if case.float_masks else causal
            kwargs.update(attn_mask=causal, is_causal=True)
        elif case.attn == "causal":
            kwargs.update(attn_mask=None, is_causal=True)  # ours builds the mask
        with torch.set_grad_enabled(not case.eval_mode):
            out, weights = module(query, key, value, **kwargs)
        results.append((batch_first(case, out), batch_first(case, weights, weights=True)))
    return results


def documented_reference(module: nn.MultiheadAttention, inputs: ModuleInputs, case: ModuleCase):
    """The module's documented result from torch's functional pieces: (out, per-head weights)."""
    H, dtype = case.H, case.dtype
    if module._qkv_same_embed_dim:
        w_q, w_k, w_v = module.in_proj_weight.chunk(3)
    else:
        w_q, w_k, w_v = module.q_proj_weight, module.k_proj_weight, module.v_proj_weight
    b_q = b_k = b_v = None
    if module.in_proj_bias is not None:
        b_q, b_k, b_v = module.in_proj_bias.chunk(3)

    def heads(x, w, b):
        return F.linear(x, w, b).unflatten(-1, (H, -1)).transpose(1, 2)  # (B, H, N, Dh)

    q, k, v = (
        heads(inputs.query, w_q, b_q),
        heads(inputs.key, w_k, b_k),
        heads(inputs.value, w_v, b_v),
    )
    add = torch.zeros(case.B, H, case.T, case.S, dtype=dtype)
    if inputs.attn_mask is not None:
        mask = additive(inputs.attn_mask, dtype)
        add = add + (mask if mask.dim() == 2 else mask.view(case.B, H, case.T, case.S))
    if case.attn == "causal":
        add = add + additive(~qkv.causal_mask(case.T, case.S), dtype)
    if inputs.key_padding_mask is not None:
        add = add + additive(inputs.key_padding_mask, dtype)[:, None, None, :]
    with torch.no_grad():
        out, weights = reference_attention(q, k, v, add)  # (B, H, T, Dh), (B, H, T, S)
        out = F.linear(out.transpose(1, 2).flatten(2), module.out_proj.weight, module.out_proj.bias)
    return out, weights


def check_module_case(case: ModuleCase) -> None:
    module = torch_module(case)
    ours = qkv.MultiHeadAttention.from_torch(module).train(not case.eval_mode)
    inputs = module_inputs(case)
    (out_t, w_t), (out_o, w_o) = call_both(case, module, ours, inputs)

    head_blocked = inputs.blocked.all(dim=-1)  # (B, H, T): this head of this query sees nothing
    nan_rows = head_blocked.any(dim=1)  # (B, T): torch gives NaN there
    all_heads = head_blocked.all(dim=1)  # (B, T): ours gives out_proj.bias there
    # torch leaves a query undefined (NaN) only where one of its heads sees no key; with
    # need_weights=True always there (with False its fused path may give zeros instead).
    torch_nan = torch.isnan(out_t).any(dim=-1)  # (B, T)
    assert not (torch_nan & ~nan_rows).any()
    if case.need_weights:
        assert torch.equal(torch_nan, nan_rows)
    assert torch.isfinite(out_o).all()
    ok = ~torch_nan
    assert_close(out_o[ok], out_t[ok].detach())

    # Documented behaviour on the rows torch leaves undefined.
    expected_out, expected_w = documented_reference(module, inputs, case)
    assert_close(out_o.detach(), expected_out)
    bias = ours.out_proj.bias if case.bias else torch.zeros(case.E, dtype=case.dtype)
    assert_close(out_o[all_heads].detach(), bias.detach().expand(int(all_heads.sum()), -1))
    if not case.need_weights:
        assert w_o is None and w_t is None
        return
    w_o = w_o.detach()
    if case.average:
        assert w_o.shape == (case.B, case.T, case.S)
        assert_close(w_o[ok], w_t[ok].detach())
        assert_close(w_o, expected_w.mean(dim=1))
    else:
        assert w_o.shape == (case.B, case.H, case.T, case.S)
        assert torch.all(w_o[head_blocked] == 0)
        assert_close(w_o[~head_blocked], w_t[~head_blocked].detach())
        assert_close(w_o, expected_w)


@NO_DEADLINE
@given(module_cases())
def test_module_matches_torch(case):
    check_module_case(case)


@NO_DEADLINE
@given(module_cases())
def test_to_torch_round_trips_state_and_outputs(case):
    module = torch_module(case)
    ours = qkv.MultiHeadAttention.from_torch(module)
    back = ours.to_torch()
    expected, actual = module.state_dict(), back.state_dict()
    assert expected.keys() == actual.keys()
    for name, tensor in expected.items():
        assert torch.equal(actual[name], tensor), name
    assert (back.batch_first, back.kdim, back.vdim) == (
        module.batch_first,
        module.kdim,
        module.vdim,
    )
    again = qkv.MultiHeadAttention.from_torch(back)
    for (name, p), (_, p2) in zip(ours.named_parameters(), again.named_parameters(), strict=True):
        assert torch.equal(p, p2), name

    inputs = module_inputs(case)
    back.train(module.training)
    (out_t, w_t), (out_b, w_b) = call_both(case, module, back, inputs)
    torch.testing.assert_close(out_b, out_t, rtol=0, atol=0, equal_nan=True)
    if case.need_weights:
        torch.testing.assert_close(w_b, w_t, rtol=0, atol=0, equal_nan=True)


@NO_DEADLINE
@given(
    dropout=st.sampled_from([0.0, 0.1]),
    add_bias_kv=st.booleans(),
    add_zero_attn=st.booleans(),
)
def test_from_torch_refuses_exactly_what_it_does_not_model(dropout, add_bias_kv, add_zero_attn):
    """The module has no dropout, ``add_bias_kv`` or ``add_zero_attn``: copying one says so."""
    module = nn.MultiheadAttention(
        4, 2, dropout=dropout, add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn
    )
    wanted = [
        text
        for text, on in (
            ("dropout=0.1", dropout),
            ("add_bias_kv=True", add_bias_kv),
            ("add_zero_attn=True", add_zero_attn),
        )
        if on
    ]
    if not wanted:
        assert isinstance(qkv.MultiHeadAttention.from_torch(module), qkv.MultiHeadAttention)
        return
    with pytest.raises(ValueError) as info:
        qkv.MultiHeadAttention.from_torch(module)
    for text in wanted:
        assert text in str(info.value)


# --------------------------------------------------------------------------------------------
# scaled_dot_product_attention and grouped_query_attention against F.scaled_dot_product_attention


@st.composite
def broadcast_shapes(draw, batch: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``batch``: some leading axes dropped, some sizes set to 1."""
    dropped = draw(st.integers(0, len(batch)))
    return tuple(draw(st.sampled_from([1, n])) for n in batch[dropped:])


@st.composite
def masks_and_scale(draw, batch: tuple[int, ...], T: int, S: int):
    """(kind, mask shape, density, fully blocked rows, scale) for an SDPA-style call.

    ``batch`` are the leading axes of the scores, query @ keyᵀ: torch's SDPA fails on a mask
    with more (see test_sdpa_mask_may_not_add_batch_axes).
    """
    kind = draw(st.sampled_from([None, "bool", "float", "causal"]))
    shape = (*draw(broadcast_shapes(batch)), draw(st.sampled_from([1, T])), S)
    blocked_rows = draw(st.frozensets(st.integers(0, T - 1), max_size=T))
    density = draw(st.sampled_from([0.0, 0.3, 0.7]))
    scale = draw(st.none() | st.floats(-2.0, 2.0, allow_nan=False, width=32))
    return kind, shape, density, blocked_rows, scale


def sdpa_mask(kind, shape, density, blocked_rows, dtype, g):
    """A mask in the SDPA convention (bool True = may attend), or None."""
    if kind not in ("bool", "float"):
        return None
    may_attend = torch.rand(shape, generator=g) >= density
    for t in blocked_rows:
        if t < shape[-2]:
            may_attend[..., t, :] = False
    return may_attend if kind == "bool" else as_float_mask(~may_attend, dtype, g)


def check_against_torch(ours_fn, q, k, v, kind, mask, scale, **torch_kwargs):
    """Compare ``ours_fn`` with F.scaled_dot_product_attention, and its weights with softmax."""
    is_causal = kind == "causal"
    out, weights = ours_fn(q, k, v, attn_mask=mask, is_causal=is_causal, scale=scale)
    torch_mask, torch_causal = mask, is_causal
    if is_causal and scale is not None and scale <= 0:  # see test_causal_attention_scale_zero
        torch_mask, torch_causal = (
            torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril(),
            False,
        )
    expected = F.scaled_dot_product_attention(
        q, k, v, attn_mask=torch_mask, is_causal=torch_causal, scale=scale, **torch_kwargs
    )
    assert out.shape == expected.shape
    assert_close(out, expected)
    # The weights: torch's functional SDPA does not return them, so rebuild them from scores.
    T, S = q.size(-2), k.size(-2)
    if is_causal:
        mask = torch.ones(T, S, dtype=torch.bool).tril()  # top-left aligned, as in torch
    add = mask
    if mask is not None and mask.dtype == torch.bool:
        add = torch.zeros(mask.shape, dtype=q.dtype).masked_fill(~mask, float("-inf"))
    if torch_kwargs.get("enable_gqa"):
        k = k.repeat_interleave(q.size(-3) // k.size(-3), dim=-3)  # (..., H, S, Dh)
    _, reference = reference_attention(q, k, v.new_zeros(*k.shape[:-1], 1), add, scale)
    assert_close(weights, reference)  # (..., T, S), "..." from query, key and the mask
    sums = weights.sum(dim=-1)  # 1, or 0 for a query that may attend to nothing
    assert torch.all(((sums - 1).abs() < 1e-4) | (sums == 0))


@NO_DEADLINE
@given(data=st.data())
def test_sdpa_matches_torch(data):
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    batch = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2), label="batch"))
    T, S = data.draw(st.integers(1, 5), label="T"), data.draw(st.integers(1, 5), label="S")
    Dk, Dv = data.draw(st.integers(1, 5), label="Dk"), data.draw(st.integers(1, 5), label="Dv")
    shapes = [data.draw(broadcast_shapes(batch), label=name) for name in ("q", "k", "v")]
    scores_batch = torch.broadcast_shapes(shapes[0], shapes[1])
    kind, mask_shape, density, rows, scale = data.draw(
        masks_and_scale(tuple(scores_batch), T, S), label="mask"
    )
    g = torch.Generator().manual_seed(data.draw(st.integers(0, 2**16), label="seed"))
    q = torch.randn(*shapes[0], T, Dk, generator=g, dtype=dtype)
    k = torch.randn(*shapes[1], S, Dk, generator=g, dtype=dtype)
    v = torch.randn(*shapes[2], S, Dv, generator=g, dtype=dtype)
    mask = sdpa_mask(kind, mask_shape, density, rows, dtype, g)
    check_against_torch(qkv.scaled_dot_product_attention, q, k, v, kind, mask, scale)


@NO_DEADLINE
@given(data=st.data())
def test_grouped_query_attention_matches_torch_enable_gqa(data):
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    batch = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2), label="batch"))
    G, group = data.draw(st.integers(1, 3), label="G"), data.draw(st.integers(1, 3), label="H/G")
    H = G * group
    T, S = data.draw(st.integers(1, 5), label="T"), data.draw(st.integers(1, 5), label="S")
    Dh, Dv = data.draw(st.integers(1, 5), label="Dh"), data.draw(st.integers(1, 5), label="Dv")
    kind, mask_shape, density, rows, scale = data.draw(
        masks_and_scale((*batch, H), T, S), label="mask"
    )
    g = torch.Generator().manual_seed(data.draw(st.integers(0, 2**16), label="seed"))
    q = torch.randn(*batch, H, T, Dh, generator=g, dtype=dtype)
    k = torch.randn(*batch, G, S, Dh, generator=g, dtype=dtype)
    v = torch.randn(*batch, G, S, Dv, generator=g, dtype=dtype)
    mask = sdpa_mask(kind, mask_shape, density, rows, dtype, g)
    check_against_torch(qkv.grouped_query_attention, q, k, v, kind, mask, scale, enable_gqa=True)


# --------------------------------------------------------------------------------------------
# Counterexamples Hypothesis found, kept as examples (each says what it caught)


def test_fully_masked_query_without_weights_gets_out_proj_bias_from_torch_too():
    """Caught: torch's module gives NaN for a query that sees no key only on its need_weights
    path; with need_weights=False (training mode) it runs the functional SDPA and returns
    zero attention, i.e. out_proj.bias, like ours. The property now asserts NaN only there."""
    torch.manual_seed(0)
    module = nn.MultiheadAttention(2, 1, batch_first=False)
    with torch.no_grad():
        module.out_proj.bias.normal_()
    ours = qkv.MultiHeadAttention.from_torch(module)
    x = torch.randn(1, 2)  # unbatched (T, E), T = S = 1
    blocked = torch.ones(1, 1, dtype=torch.bool)  # the only query may attend to nothing
    without, _ = module(x, x, x, attn_mask=blocked, need_weights=False)
    with_weights, _ = module(x, x, x, attn_mask=blocked, need_weights=True)
    out, weights = ours(x, attn_mask=blocked)
    torch.testing.assert_close(without, module.out_proj.bias.expand(1, 2))
    assert torch.isnan(with_weights).all()
    torch.testing.assert_close(out, ours.out_proj.bias.expand(1, 2))
    assert torch.all(weights == 0)


def test_is_causal_alone_works_in_ours_but_torch_wants_the_mask():
    """Caught (in the round trip): ``to_torch()`` gives a torch module, and torch refuses
    ``is_causal=True`` without ``attn_mask``, where ours builds the causal mask (documented)."""
    torch.manual_seed(0)
    ours = qkv.MultiHeadAttention(4, 2)
    x = torch.randn(1, 3, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        ours.to_torch()(x, x, x, is_causal=True)
    expected, _ = ours.to_torch()(x, x, x, attn_mask=~qkv.causal_mask(3), is_causal=True)
    torch.testing.assert_close(ours(x, is_causal=True)[0], expected)


def test_sdpa_mask_may_not_add_batch_axes():
    """Caught: a mask with more leading axes than query @ keyᵀ makes torch's SDPA fail
    ("output with shape [1, 1] doesn't match the broadcast shape [1, 1, 1]"). Ours broadcasts
    it when value brings those axes, and refuses it clearly when no input does."""
    q, k = torch.randn(1, 1), torch.randn(1, 1)  # (T, Dk), (S, Dk)
    mask = torch.ones(1, 1, 1, dtype=torch.bool)  # (1, T, S)
    with pytest.raises(RuntimeError, match="broadcast shape"):
        F.scaled_dot_product_attention(q, k, torch.randn(1, 1, 1), attn_mask=mask)
    out, weights = qkv.scaled_dot_product_attention(q, k, torch.randn(1, 1, 1), attn_mask=mask)
    assert out.shape == weights.shape == (1, 1, 1)
    with pytest.raises(
        ValueError, match=r"attn_mask must broadcast to \(\.\.\., T, S\) = \(1, 1\)"
    ):
        qkv.scaled_dot_product_attention(q, k, torch.randn(1, 1), attn_mask=mask)


def test_sdpa_weights_take_their_batch_axes_from_query_and_key():
    """Caught: value's extra leading axes reach ``out`` but not ``weights`` (the weights do not
    depend on the values); they broadcast against each other: ``out = weights @ value``."""
    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(3, 4, generator=g), torch.randn(5, 4, generator=g), torch.randn(2, 5, 6)
    out, weights = qkv.scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 3, 6) and weights.shape == (3, 5)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v))
    torch.testing.assert_close(out, weights @ v)


@pytest.mark.parametrize("scale", [0.0, -1.0])
def test_causal_attention_scale_zero_or_negative(scale):
    """Caught: torch 2.13's SDPA with ``is_causal=True`` and a scale of 0 or below on 4-D
    inputs returns NaN (its fused CPU kernel scales the -inf of the hidden keys: 0 · -inf,
    or +inf); with the causal mask given as ``attn_mask`` it is right, and so is ours with
    ``is_causal``. The properties compare these cases against the explicit mask."""
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 1, n, 1, generator=g) for n in (1, 2, 2))  # (B, H, T|S, D)
    assert torch.isnan(F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)).all()
    causal = torch.ones(1, 2, dtype=torch.bool).tril()  # query 0 may attend to key 0 only
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=causal, scale=scale)
    for fn in (qkv.scaled_dot_product_attention, qkv.grouped_query_attention):
        out, weights = fn(q, k, v, is_causal=True, scale=scale)
        torch.testing.assert_close(out, expected)
        torch.testing.assert_close(weights, torch.tensor([[[[1.0, 0.0]]]]))
