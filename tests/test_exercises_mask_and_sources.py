"""The checkers of ``masked_attention`` (chapter 4) and ``cross_attention_qkv`` (chapter 2).

As in tests/test_exercises.py: answers written the way learners write them. A plain reference
passes, so do correct variants in other styles; each known mistake gets its own code; junk
never raises and gets a code (strict mode, for every exercise, is in tests/test_exercises.py).
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from exercise_helpers import expect

import qkv_lib as qkv
from qkv_lib.exercises import EXERCISES


# ------------------------------------------------------------------------ masked_attention
def scaled(Q, K):
    return Q @ K.transpose(-2, -1) / math.sqrt(Q.size(-1))  # (B, T, S)


def masked_ref(Q, K, V, mask):
    scores = scaled(Q, K).masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    weights = torch.where(mask.any(-1, keepdim=True), weights, 0.0)  # fully masked: 0
    return weights @ V


def masked_with_library_softmax(Q, K, V, mask):
    scores = scaled(Q, K).masked_fill(mask.logical_not(), -math.inf)
    return qkv.masked_softmax(scores, dim=-1) @ V


def masked_nan_to_num(Q, K, V, mask):
    scores = torch.where(mask, scaled(Q, K), float("-inf"))
    return torch.nan_to_num(scores.softmax(-1), nan=0.0) @ V


def masked_additive(Q, K, V, mask):
    bias = torch.zeros(mask.shape, dtype=Q.dtype).masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scaled(Q, K) + bias, dim=-1)
    return weights.nan_to_num(0.0) @ V


def masked_float32(Q, K, V, mask):
    return masked_ref(Q.float(), K.float(), V.float(), mask)


def masked_renormalised_after(Q, K, V, mask):
    """Zero after the softmax and renormalise: right here, where nothing underflows."""
    weights = torch.softmax(scaled(Q, K), dim=-1) * mask
    total = weights.sum(-1, keepdim=True)
    return torch.where(total > 0, weights / total.clamp_min(1e-300), 0.0) @ V


@pytest.mark.parametrize(
    "answer",
    [
        masked_ref,
        masked_with_library_softmax,
        masked_nan_to_num,
        masked_additive,
        masked_float32,
        masked_renormalised_after,
        lambda Q, K, V, mask: qkv.scaled_dot_product_attention(Q, K, V, attn_mask=mask)[0],
    ],
)
def test_masked_attention_correct_variants_pass(answer):
    expect("masked_attention", answer, "pass")


def masked_inverted(Q, K, V, mask):
    return masked_ref(Q, K, V, ~mask)


def masked_where_true(Q, K, V, mask):  # nn.MultiheadAttention's convention
    weights = torch.softmax(scaled(Q, K).masked_fill(mask, float("-inf")), dim=-1)
    return weights.nan_to_num(0.0) @ V


def masked_after_softmax(Q, K, V, mask):
    weights = torch.softmax(scaled(Q, K), dim=-1)
    return weights.masked_fill(~mask, 0.0) @ V


def masked_with_zero(Q, K, V, mask):
    return torch.softmax(scaled(Q, K).masked_fill(~mask, 0.0), dim=-1) @ V


def masked_with_minus_1e9(Q, K, V, mask):
    return torch.softmax(scaled(Q, K).masked_fill(~mask, -1e9), dim=-1) @ V


def masked_unscaled(Q, K, V, mask):
    weights = torch.softmax((Q @ K.mT).masked_fill(~mask, float("-inf")), dim=-1)
    return weights.nan_to_num(0.0) @ V


@pytest.mark.parametrize(
    "answer, code, word",
    [
        (masked_inverted, "mask-inverted", "~mask"),
        (masked_where_true, "mask-inverted", "true"),
        (masked_after_softmax, "mask-after-softmax", "before the softmax"),
        (masked_with_zero, "mask-fill-zero", "-inf"),
        (masked_with_minus_1e9, "masked-row-not-zero", "zero output"),
        (masked_unscaled, "missing-scale", "√d_k"),
    ],
)
def test_masked_attention_mistakes_get_their_code(answer, code, word):
    expect("masked_attention", answer, code, word)


def test_a_plain_softmax_over_a_fully_masked_row_is_non_finite_and_says_why():
    def attention(Q, K, V, mask):
        scores = scaled(Q, K).masked_fill(~mask, float("-inf"))
        return torch.softmax(scores, dim=-1) @ V

    result = expect("masked_attention", attention, "non-finite", "NaN", "every key masked")
    assert "Query 2 of batch 1" in result.message and "zero output" in result.message


def test_other_nan_gets_the_generic_message_only():
    result = expect(
        "masked_attention", lambda Q, K, V, mask: masked_ref(Q, K, V, mask) / 0.0, "non-finite"
    )
    assert "masked" not in result.message


def test_a_nonzero_output_for_the_fully_masked_query_is_pointed_at():
    def attention(Q, K, V, mask):
        return masked_ref(Q, K, V, mask) + (~mask.any(-1, keepdim=True)) * 0.5

    expect("masked_attention", attention, "wrong-values", "every key masked", "must be zero")


def test_the_checker_mask_has_causal_padding_and_fully_masked_rows():
    Q, K, V, mask = EXERCISES["masked_attention"].inputs().args
    assert mask.dtype == torch.bool and mask.shape == (2, 3, 5)
    assert not mask.any(-1).all(), "no fully masked query"
    causal, padding = mask
    assert torch.equal(causal, torch.ones(3, 5, dtype=torch.bool).tril(2))
    assert not padding[:, 3:].any() and padding[:2, :3].all()
    assert len({*Q.shape, *K.shape, *V.shape}) == 5  # B, T, S, d_k, Dv all distinct


@pytest.mark.parametrize(
    "answer, code",
    [
        (None, "not-attempted"),
        (42, "wrong-type"),
        (lambda Q, K, V: Q, "error"),
        (lambda Q, K, V, mask: torch.softmax(scaled(Q, K), -1), "wrong-shape"),
        (lambda Q, K, V, mask: (masked_ref(Q, K, V, mask), mask), "wrong-type"),
        (lambda Q, K, V, mask: masked_ref(Q, K, V, mask.logical_not_().logical_not_()), "pass"),
        (lambda Q, K, V, mask: masked_ref(Q, K, V, mask.logical_not_()), "mutates-input"),
        (lambda Q, K, V, mask: masked_ref(Q, K, V, mask.mT), "error"),
    ],
)
def test_masked_attention_junk_gets_a_code(answer, code):
    expect("masked_attention", answer, code)


def test_f_sdpa_on_a_fully_masked_row_is_judged_without_raising():
    """Whatever this torch version gives a fully masked query, the checker has a verdict."""
    answer = lambda Q, K, V, mask: F.scaled_dot_product_attention(Q, K, V, attn_mask=mask)  # noqa: E731
    assert qkv.check("masked_attention", answer).code in {"pass", "non-finite", "wrong-values"}


# --------------------------------------------------------------------- cross_attention_qkv
def cross_ref(x_dec, x_enc, W_q, W_k, W_v):
    return x_dec @ W_q, x_enc @ W_k, x_enc @ W_v


def cross_einsum(x_dec, x_enc, W_q, W_k, W_v):
    Q = torch.einsum("ble,ed->bld", x_dec, W_q)
    K = torch.einsum("bse,ed->bsd", x_enc, W_k)
    V = torch.einsum("bse,ev->bsv", x_enc, W_v)
    return Q, K, V


def cross_linear(x_dec, x_enc, W_q, W_k, W_v):
    return F.linear(x_dec, W_q.T), F.linear(x_enc, W_k.T), F.linear(x_enc, W_v.T)


@pytest.mark.parametrize("answer", [cross_ref, cross_einsum, cross_linear])
def test_cross_attention_qkv_correct_variants_pass(answer):
    expect("cross_attention_qkv", answer, "pass")


@pytest.mark.parametrize(
    "answer, code, word",
    [
        (
            lambda xd, xe, Wq, Wk, Wv: (xe @ Wq, xe @ Wk, xe @ Wv),
            "query-from-wrong-source",
            "x_dec",
        ),
        (
            lambda xd, xe, Wq, Wk, Wv: (xd @ Wq, xd @ Wk, xd @ Wv),
            "keys-values-from-wrong-source",
            "x_enc",
        ),
        (lambda xd, xe, Wq, Wk, Wv: (xe @ Wq, xd @ Wk, xd @ Wv), "query-from-wrong-source", "swap"),
        (lambda xd, xe, Wq, Wk, Wv: (xd @ Wq, xe @ Wv, xe @ Wk), "swapped-projections", "W_k"),
        (lambda xd, xe, Wq, Wk, Wv: (xd @ Wk, xe @ Wq, xe @ Wv), "swapped-projections", "W_q"),
        (lambda xd, xe, Wq, Wk, Wv: (xd @ Wq.T, xe @ Wk.T, xe @ Wv.T), "transposed-weights", ".T"),
    ],
)
def test_cross_attention_qkv_mistakes_get_their_code(answer, code, word):
    expect("cross_attention_qkv", answer, code, word)


def test_an_unknown_wrong_product_names_its_operands():
    def answer(x_dec, x_enc, W_q, W_k, W_v):
        return x_enc @ W_q, 2 * x_enc @ W_k, x_enc @ W_v  # Q from x_enc, and a stray factor

    expect("cross_attention_qkv", answer, "error", "x_enc", "W_q", "(B, S, E_enc)", "(E, d_k)")


def test_the_checker_widths_differ_and_the_probe_widths_agree():
    exercise = EXERCISES["cross_attention_qkv"]
    sizes = exercise.inputs().sizes
    assert sizes["E"] != sizes["E_enc"] and len(set(sizes.values())) == len(sizes)
    x_dec, x_enc, W_q, _, W_v = exercise.probe().args
    assert x_dec.size(-1) == x_enc.size(-1) == W_q.size(1) == W_v.size(1)


@pytest.mark.parametrize(
    "answer, code",
    [
        (None, "not-attempted"),
        (lambda xd, xe, Wq, Wk, Wv: [xd @ Wq, xe @ Wk, xe @ Wv], "pass"),  # a list will do
        (lambda xd, xe, Wq, Wk, Wv: (xd @ Wq, xe @ Wk), "wrong-type"),
        (lambda xd, xe, Wq, Wk, Wv: (xd @ Wq, xe @ Wk, xe @ Wv + 1), "wrong-values"),
        (lambda xd, xe, Wq, Wk, Wv: (xd @ Wq, xe @ Wk, xe @ Wk), "wrong-shape"),
        (lambda xd, xe, Wq, Wk, Wv: (xd @ Wq, xe.mul_(1) @ Wk, xe.add_(1) @ Wv), "mutates-input"),
    ],
)
def test_cross_attention_qkv_junk_gets_a_code(answer, code):
    expect("cross_attention_qkv", answer, code)
