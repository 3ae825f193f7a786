"""The exercise checkers (``qkv.check``), tested against their specification.

For every exercise: a plainly written reference passes; each known mistake, written the way a
learner writes it, gets its own code; correct variants in other styles pass; junk never raises
and gets a code; strict mode raises ``ExerciseFailed``. The learner-style functions below are
generic (they read sizes off ``.shape`` / ``.size(-1)``), because the checker calls them with
its own fixed inputs.
"""

from __future__ import annotations

import functools
import inspect
import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import qkv_lib as qkv

EXERCISE_IDS = (
    "soft_lookup",
    "cross_attention_qkv",
    "scores",
    "attention_weights",
    "attention",
    "project_qkv",
    "split_heads",
    "merge_heads",
    "multi_head_attention",
    "causal_mask",
    "masked_attention",
    "mha_padding_mask",
    "matching_rule",
    "decode_step",
    "grouped_query_attention",
)

PARAMETERS = {
    "soft_lookup": ("query", "keys", "values"),
    "scores": ("Q", "K"),
    "attention_weights": ("Q", "K"),
    "attention": ("Q", "K", "V"),
    "project_qkv": ("x_q", "x_kv", "W_q", "W_k", "W_v"),
    "cross_attention_qkv": ("x_dec", "x_enc", "W_q", "W_k", "W_v"),
    "masked_attention": ("Q", "K", "V", "mask"),
    "split_heads": ("x", "num_heads"),
    "merge_heads": ("x",),
    "multi_head_attention": ("x_q", "x_kv", "W_q", "W_k", "W_v", "W_o", "num_heads"),
    "causal_mask": ("T",),
    "mha_padding_mask": ("lengths", "S"),
    "matching_rule": ("q_weight", "k_weight"),
    "decode_step": ("x_new", "W_q", "W_k", "W_v", "k_cache", "v_cache"),
    "grouped_query_attention": ("q", "k", "v"),
}

# Every code of the specification: anything else (e.g. a checker's own crash) is a bug.
SPEC_CODES = {
    "pass",
    "not-attempted",
    "error",
    "wrong-type",
    "wrong-shape",
    "non-finite",
    "mutates-input",
    "too-slow",
    "missing-scale",
    "wrong-scale",
    "transposed-scores",
    "softmax-wrong-axis",
    "missing-softmax",
    "query-from-wrong-source",
    "keys-values-from-wrong-source",
    "transposed-weights",
    "reshape-without-transpose",
    "missing-output-projection",
    "mask-inverted",
    "mask-diagonal",
    "mask-after-softmax",
    "mask-fill-zero",
    "masked-row-not-zero",
    "swapped-projections",
    "wrong-values",
    "swapped-outputs",
    "off-by-one",
    "lengths-not-broadcast",
    "stored-transpose",
    "rule-transposed",
}

# What a message must mention (any one of these, case-insensitive) to be actionable.
ACTIONABLE = {
    "not-attempted": ("attempt", "implement", "finish", "return", "define", "write", "replace"),
    "error": ("error", "exception", "raise", "transpose", "parameter", "argument"),
    "wrong-type": ("tensor", "bool", "type"),
    "wrong-shape": ("shape", "expected"),
    "non-finite": ("nan", "inf", "finite"),
    "mutates-input": ("in place", "in-place", "inplace", "modif", "mutat", "chang", "clone"),
    "too-slow": ("took longer than",),
    "missing-scale": ("√", "sqrt", "scal", "divid"),
    "wrong-scale": ("√", "sqrt", "scal", "divid"),
    "transposed-scores": ("transpos", "kᵀ", "order", "swap", "(t, s)", "mt"),
    "softmax-wrong-axis": ("axis", "dim", "key", "row"),
    "missing-softmax": ("softmax", "normali"),
    "query-from-wrong-source": ("x_q", "query", "queries"),
    "keys-values-from-wrong-source": ("x_kv", "key", "value"),
    "transposed-weights": ("transpos", ".t", "(in, out)", "orientation"),
    "reshape-without-transpose": ("transpos", "permute", "axis", "axes", "head", "swap"),
    "missing-output-projection": ("w_o", "output projection", "out_proj", "project"),
    "mask-inverted": ("invert", "flip", "revers", "opposite", "above", "below", "future", "true"),
    "mask-diagonal": ("diagonal", "itself", "own position", "self"),
    "swapped-outputs": ("swap", "order", "first", "(output, weights)"),
    "mask-after-softmax": ("before the softmax", "renormal", "sum to 1"),
    "mask-fill-zero": ("-inf", "exp(0)"),
    "masked-row-not-zero": ("zero output", "fully masked", "all masked"),
    "swapped-projections": ("w_k", "w_v", "w_q", "swap"),
    "off-by-one": ("off by one", "too late", "too early"),
    "lengths-not-broadcast": ("axis", "broadcast", "lengths[:, none]"),
    "stored-transpose": ("transpose", "stored", "w_qᵀ"),
    "rule-transposed": ("transpose", "order", "w_q comes first"),
    "wrong-values": ("differ", "max", "off by", "wrong entr"),
}


# ------------------------------------------------------------------ reference solutions
def soft_lookup_ref(query, keys, values):
    scores = keys @ query / math.sqrt(query.size(-1))
    weights = torch.softmax(scores, dim=-1)
    output = weights @ values
    return output, weights


def scores_ref(Q, K):
    d_k = Q.size(-1)
    return Q @ K.transpose(-2, -1) / math.sqrt(d_k)


def attention_weights_ref(Q, K):
    scores = Q @ K.transpose(-2, -1) / math.sqrt(Q.size(-1))
    return torch.softmax(scores, dim=-1)


def attention_ref(Q, K, V):
    scores = Q @ K.transpose(-2, -1) / math.sqrt(Q.size(-1))
    weights = torch.softmax(scores, dim=-1)
    return weights @ V


def project_qkv_ref(x_q, x_kv, W_q, W_k, W_v):
    return x_q @ W_q, x_kv @ W_k, x_kv @ W_v


def split_heads_ref(x, num_heads):
    B, T, E = x.shape
    return x.reshape(B, T, num_heads, E // num_heads).transpose(1, 2)


def merge_heads_ref(x):
    B, H, T, Dh = x.shape
    return x.transpose(1, 2).reshape(B, T, H * Dh)


def multi_head_attention_ref(x_q, x_kv, W_q, W_k, W_v, W_o, num_heads):
    Q = split_heads_ref(x_q @ W_q, num_heads)
    K = split_heads_ref(x_kv @ W_k, num_heads)
    V = split_heads_ref(x_kv @ W_v, num_heads)
    heads = attention_ref(Q, K, V)
    return merge_heads_ref(heads) @ W_o


def cross_attention_qkv_ref(x_dec, x_enc, W_q, W_k, W_v):
    return x_dec @ W_q, x_enc @ W_k, x_enc @ W_v


def masked_attention_ref(Q, K, V, mask):
    scores = Q @ K.transpose(-2, -1) / math.sqrt(Q.size(-1))
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return torch.nan_to_num(weights, nan=0.0) @ V


def causal_mask_ref(T):
    return torch.tril(torch.ones(T, T, dtype=torch.bool))


def mha_padding_mask_ref(lengths, S):
    return torch.arange(S)[None, :] >= lengths[:, None]


def matching_rule_ref(q_weight, k_weight):
    return q_weight.T @ k_weight / math.sqrt(q_weight.size(0))


def decode_step_ref(x_new, W_q, W_k, W_v, k_cache, v_cache):
    keys = torch.cat([k_cache, x_new @ W_k], dim=1)
    values = torch.cat([v_cache, x_new @ W_v], dim=1)
    return attention_ref(x_new @ W_q, keys, values), keys, values


def grouped_query_attention_ref(q, k, v):
    group = q.size(1) // k.size(1)
    return attention_ref(q, k.repeat_interleave(group, 1), v.repeat_interleave(group, 1))


REFERENCES = {
    "soft_lookup": soft_lookup_ref,
    "scores": scores_ref,
    "attention_weights": attention_weights_ref,
    "attention": attention_ref,
    "project_qkv": project_qkv_ref,
    "split_heads": split_heads_ref,
    "merge_heads": merge_heads_ref,
    "multi_head_attention": multi_head_attention_ref,
    "causal_mask": causal_mask_ref,
    "cross_attention_qkv": cross_attention_qkv_ref,
    "masked_attention": masked_attention_ref,
    "mha_padding_mask": mha_padding_mask_ref,
    "matching_rule": matching_rule_ref,
    "decode_step": decode_step_ref,
    "grouped_query_attention": grouped_query_attention_ref,
}


def _reference_lines():
    """Code lines of the references: a message quoting one of them gives the answer away."""
    lines = set()
    for fn in REFERENCES.values():
        for line in inspect.getsource(fn).splitlines()[1:]:
            line = line.strip().removeprefix("return ").strip()
            if len(line) >= 12 and any(c in line for c in "@(."):
                lines.add(line)
    return sorted(lines)


REFERENCE_LINES = _reference_lines()


def assert_good_message(result, code):
    message = result.message
    assert isinstance(message, str) and message.strip(), f"empty message for {code}"
    assert "Traceback" not in message, message
    assert "tensor(" not in message, f"the message prints a tensor: {message}"
    assert not re.search(r"\bdef \w+\(|\blambda\b", message), f"code in message: {message}"
    for line in REFERENCE_LINES:
        assert line not in message, f"the message quotes the reference {line!r}: {message}"
    words = ACTIONABLE.get(code, ())
    assert not words or any(w in message.lower() for w in words), (
        f"the {code} message mentions none of {words}: {message!r}"
    )


def check(exercise_id, answer):
    result = qkv.check(exercise_id, answer)
    assert result.exercise_id == exercise_id
    assert isinstance(result.code, str) and result.code
    assert result.code in SPEC_CODES, f"{result.code}: {result.message}"
    assert result.passed is (result.code == "pass"), (result.passed, result.code)
    return result


def expect(exercise_id, answer, code):
    result = check(exercise_id, answer)
    assert result.code == code, f"expected {code}, got {result.code}: {result.message}"
    assert_good_message(result, code)
    return result


def with_signature_of(exercise_id, body):
    """``body(*args)`` behind the exercise's own parameter list, as a learner's function has."""

    def fn(*args):
        return body(*args)

    fn.__signature__ = inspect.signature(REFERENCES[exercise_id])
    return fn


def _map_tensors(fn, args):
    return [fn(a) if isinstance(a, torch.Tensor) else a for a in args]


def _float32(a):
    return a.float() if a.is_floating_point() else a


def _grad_tracking(a):
    return a.detach().clone().requires_grad_() if a.is_floating_point() else a


# ------------------------------------------------------------- learner-style helpers
def scaled(Q, K):
    """Correctly scaled scores, for mistakes made elsewhere."""
    return Q @ K.transpose(-2, -1) / math.sqrt(Q.size(-1))


def split_heads_no_transpose(x, num_heads):
    B, T, E = x.shape
    return x.reshape(B, num_heads, T, E // num_heads)


def merge_heads_no_transpose(x):
    B, H, T, Dh = x.shape
    return x.reshape(B, T, H * Dh)


def mha_with(
    q_from="x_q",
    kv_from="x_kv",
    scale="sqrt(Dh)",
    softmax_dim=-1,
    split=split_heads_ref,
    merge=merge_heads_ref,
    out_proj=True,
):
    """The reference multi-head attention with exactly one learner's mistake switched on."""

    def multi_head_attention(x_q, x_kv, W_q, W_k, W_v, W_o, num_heads):
        source = {"x_q": x_q, "x_kv": x_kv}
        E = x_q.size(-1)
        Q = split(source[q_from] @ W_q, num_heads)
        K = split(source[kv_from] @ W_k, num_heads)
        V = split(source[kv_from] @ W_v, num_heads)
        scores = Q @ K.transpose(-2, -1)
        if scale == "sqrt(Dh)":
            scores = scores / math.sqrt(Q.size(-1))
        elif scale == "sqrt(E)":
            scores = scores / math.sqrt(E)  # d_k = Q.size(-1) read before splitting
        weights = scores if softmax_dim is None else torch.softmax(scores, dim=softmax_dim)
        out = merge(weights @ V)
        return out @ W_o if out_proj else out

    return multi_head_attention


def soft_lookup_swapped(query, keys, values):
    weights = torch.softmax(keys @ query / math.sqrt(query.size(-1)), dim=-1)
    return weights, weights @ values


def soft_lookup_no_scale(query, keys, values):
    weights = torch.softmax(keys @ query, dim=-1)
    return weights @ values, weights


def soft_lookup_divide_by_d_k(query, keys, values):
    weights = torch.softmax(keys @ query / query.size(-1), dim=-1)
    return weights @ values, weights


def soft_lookup_no_softmax(query, keys, values):
    weights = keys @ query / math.sqrt(query.size(-1))
    return weights @ values, weights


def causal_mask_additive(T):
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    return torch.zeros(T, T).masked_fill(future, float("-inf"))


# --------------------------------------------------------------------- known mistakes
MISTAKES = [
    ("soft_lookup", "swapped-outputs", soft_lookup_swapped, "returns-(weights, output)"),
    # scores
    ("scores", "missing-scale", lambda Q, K: Q @ K.transpose(-2, -1), "no-scale"),
    ("scores", "wrong-scale", lambda Q, K: Q @ K.transpose(-2, -1) / Q.size(-1), "divide-by-d_k"),
    (
        "scores",
        "wrong-scale",
        lambda Q, K: Q @ K.transpose(-2, -1) * math.sqrt(Q.size(-1)),
        "multiply-by-sqrt-d_k",
    ),
    ("scores", "transposed-scores", lambda Q, K: K @ Q.mT / math.sqrt(Q.size(-1)), "K@Q.mT"),
    # attention_weights
    ("attention_weights", "missing-scale", lambda Q, K: torch.softmax(Q @ K.mT, -1), "no-scale"),
    (
        "attention_weights",
        "wrong-scale",
        lambda Q, K: torch.softmax(Q @ K.mT / Q.size(-1), dim=-1),
        "divide-by-d_k",
    ),
    (
        "attention_weights",
        "wrong-scale",
        lambda Q, K: torch.softmax(Q @ K.mT * math.sqrt(Q.size(-1)), dim=-1),
        "multiply-by-sqrt-d_k",
    ),
    (
        "attention_weights",
        "transposed-scores",
        lambda Q, K: torch.softmax(K @ Q.mT / math.sqrt(Q.size(-1)), dim=-1),
        "K@Q.mT",
    ),
    (
        "attention_weights",
        "softmax-wrong-axis",
        lambda Q, K: torch.softmax(scaled(Q, K), dim=-2),
        "softmax-dim=-2",
    ),
    (
        "attention_weights",
        "softmax-wrong-axis",
        lambda Q, K: torch.softmax(scaled(Q, K), dim=1),
        "softmax-dim=1",
    ),
    (
        "attention_weights",
        "softmax-wrong-axis",
        lambda Q, K: torch.softmax(scaled(Q, K), dim=0),
        "softmax-dim=0",
    ),
    ("attention_weights", "missing-softmax", lambda Q, K: scaled(Q, K), "no-softmax"),
    # attention
    (
        "attention",
        "missing-scale",
        lambda Q, K, V: torch.softmax(Q @ K.mT, dim=-1) @ V,
        "no-scale",
    ),
    (
        "attention",
        "wrong-scale",
        lambda Q, K, V: torch.softmax(Q @ K.mT / Q.size(-1), dim=-1) @ V,
        "divide-by-d_k",
    ),
    (
        "attention",
        "wrong-scale",
        lambda Q, K, V: torch.softmax(Q @ K.mT * Q.size(-1) ** 0.5, dim=-1) @ V,
        "multiply-by-sqrt-d_k",
    ),
    (
        "attention",
        "softmax-wrong-axis",
        lambda Q, K, V: torch.softmax(scaled(Q, K), dim=-2) @ V,
        "softmax-dim=-2",
    ),
    (
        "attention",
        "softmax-wrong-axis",
        lambda Q, K, V: torch.softmax(scaled(Q, K), dim=1) @ V,
        "softmax-dim=1",
    ),
    (
        "attention",
        "softmax-wrong-axis",
        lambda Q, K, V: torch.softmax(scaled(Q, K), dim=0) @ V,
        "softmax-dim=0",
    ),
    ("attention", "missing-softmax", lambda Q, K, V: scaled(Q, K) @ V, "no-softmax"),
    # project_qkv
    (
        "project_qkv",
        "query-from-wrong-source",
        lambda x_q, x_kv, W_q, W_k, W_v: (x_kv @ W_q, x_kv @ W_k, x_kv @ W_v),
        "Q=x_kv@W_q",
    ),
    (
        "project_qkv",
        "keys-values-from-wrong-source",
        lambda x_q, x_kv, W_q, W_k, W_v: (x_q @ W_q, x_q @ W_k, x_q @ W_v),
        "K,V=x_q@W",
    ),
    (
        "project_qkv",
        "transposed-weights",
        lambda x_q, x_kv, W_q, W_k, W_v: (x_q @ W_q.T, x_kv @ W_k.T, x_kv @ W_v.T),
        "x@W.T",
    ),
    (
        "project_qkv",
        "transposed-weights",
        lambda x_q, x_kv, W_q, W_k, W_v: (
            F.linear(x_q, W_q),
            F.linear(x_kv, W_k),
            F.linear(x_kv, W_v),
        ),
        "F.linear(x,W)",
    ),
    # split_heads
    (
        "split_heads",
        "reshape-without-transpose",
        split_heads_no_transpose,
        "reshape(B,H,T,Dh)",
    ),
    (
        "split_heads",
        "reshape-without-transpose",
        lambda x, num_heads: x.view(x.size(0), num_heads, x.size(1), -1),
        "view(B,H,T,Dh)",
    ),
    (
        "split_heads",
        "reshape-without-transpose",
        lambda x, num_heads: x.view(x.size(0), x.size(1), num_heads, -1),
        "view(B,T,H,Dh)",
    ),
    (
        "split_heads",
        "reshape-without-transpose",
        lambda x, num_heads: x.unflatten(-1, (num_heads, -1)),
        "unflatten-only",
    ),
    # merge_heads
    ("merge_heads", "reshape-without-transpose", merge_heads_no_transpose, "reshape(B,T,E)"),
    # multi_head_attention
    ("multi_head_attention", "missing-scale", mha_with(scale=None), "no-scale"),
    ("multi_head_attention", "wrong-scale", mha_with(scale="sqrt(E)"), "sqrt(E)"),
    ("multi_head_attention", "softmax-wrong-axis", mha_with(softmax_dim=-2), "softmax-dim=-2"),
    ("multi_head_attention", "softmax-wrong-axis", mha_with(softmax_dim=1), "softmax-dim=1"),
    ("multi_head_attention", "missing-softmax", mha_with(softmax_dim=None), "no-softmax"),
    ("multi_head_attention", "query-from-wrong-source", mha_with(q_from="x_kv"), "Q=x_kv@W_q"),
    (
        "multi_head_attention",
        "keys-values-from-wrong-source",
        mha_with(kv_from="x_q"),
        "K,V=x_q@W",
    ),
    (
        "multi_head_attention",
        "reshape-without-transpose",
        mha_with(split=split_heads_no_transpose),
        "split-without-transpose",
    ),
    (
        "multi_head_attention",
        "reshape-without-transpose",
        mha_with(split=lambda x, num_heads: x.view(*x.shape[:2], num_heads, -1)),
        "split-view(B,T,H,Dh)-raises-inside",
    ),
    (
        "multi_head_attention",
        "reshape-without-transpose",
        mha_with(merge=merge_heads_no_transpose),
        "merge-without-transpose",
    ),
    (
        "multi_head_attention",
        "missing-output-projection",
        mha_with(out_proj=False),
        "no-W_o",
    ),
    # causal_mask
    (
        "causal_mask",
        "mask-inverted",
        lambda T: ~torch.tril(torch.ones(T, T, dtype=torch.bool)),
        "~tril",
    ),
    (
        "causal_mask",
        "mask-inverted",
        lambda T: torch.triu(torch.ones(T, T, dtype=torch.bool)),
        "triu",
    ),
    (
        "causal_mask",
        "mask-inverted",
        lambda T: torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1),
        "triu(diagonal=1)",
    ),
    (
        "causal_mask",
        "mask-diagonal",
        lambda T: torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=-1),
        "tril(diagonal=-1)",
    ),
    ("causal_mask", "wrong-type", causal_mask_additive, "float-0/-inf"),
    ("causal_mask", "wrong-type", lambda T: torch.tril(torch.ones(T, T, dtype=torch.long)), "int"),
    ("causal_mask", "wrong-type", lambda T: torch.ones(T, T).tril(), "float-0/1"),
]


@pytest.mark.parametrize(
    "exercise_id, code, answer",
    [pytest.param(e, c, f, id=f"{e}/{label}") for e, c, f, label in MISTAKES],
)
def test_known_mistake_gets_its_code(exercise_id, code, answer):
    result = expect(exercise_id, answer, code)
    assert result.passed is False


@pytest.mark.parametrize(
    "code, answer",
    [
        pytest.param("missing-scale", soft_lookup_no_scale, id="no-scale"),
        pytest.param("wrong-scale", soft_lookup_divide_by_d_k, id="divide-by-d_k"),
        pytest.param("missing-softmax", soft_lookup_no_softmax, id="no-softmax"),
    ],
)
def test_soft_lookup_common_mistakes(code, answer):
    """Not in the applicability table, which lists only swapped-outputs for soft_lookup.

    The task says scores = keys @ query / √d_k (d_k = E here) and weights = softmax: forgetting
    either is the likeliest chapter-1 mistake, and these codes exist, so they are expected here
    too.
    """
    expect("soft_lookup", answer, code)


def test_attention_with_transposed_scores_fails_inside_the_function():
    """softmax(K Qᵀ) @ V raises (S, T) @ (S, Dv) inside the learner's function.

    The specification leaves it to the checker: naming the mistake is best, and a translated
    matmul error that says what to transpose is acceptable.
    """

    def attention(Q, K, V):
        weights = torch.softmax(K @ Q.mT / math.sqrt(Q.size(-1)), dim=-1)
        return weights @ V

    result = check("attention", attention)
    assert result.code in {"transposed-scores", "error"}, (result.code, result.message)
    assert_good_message(result, result.code)
    if result.code == "error":
        assert "transpose" in result.message.lower(), result.message


def test_mistake_table_covers_every_applicable_code():
    """The tests are only as good as the table: it lists every applicable code at least once."""
    applicable = {
        "soft_lookup": {"swapped-outputs"},
        "scores": {"missing-scale", "wrong-scale", "transposed-scores"},
        "attention_weights": {
            "missing-scale",
            "wrong-scale",
            "transposed-scores",
            "softmax-wrong-axis",
            "missing-softmax",
        },
        "attention": {"missing-scale", "wrong-scale", "softmax-wrong-axis", "missing-softmax"},
        "project_qkv": {
            "query-from-wrong-source",
            "keys-values-from-wrong-source",
            "transposed-weights",
        },
        "split_heads": {"reshape-without-transpose"},
        "merge_heads": {"reshape-without-transpose"},
        "multi_head_attention": {
            "missing-scale",
            "wrong-scale",
            "softmax-wrong-axis",
            "missing-softmax",
            "query-from-wrong-source",
            "keys-values-from-wrong-source",
            "reshape-without-transpose",
            "missing-output-projection",
        },
        "causal_mask": {"mask-inverted", "mask-diagonal", "wrong-type"},
    }
    listed = {}
    for exercise_id, code, _, _ in MISTAKES:
        listed.setdefault(exercise_id, set()).add(code)
    assert listed == applicable


# ------------------------------------------------------------------ correct variants
def soft_lookup_einsum(query, keys, values):
    weights = torch.einsum("se,e->s", keys, query).div(query.numel() ** 0.5).softmax(0)
    return torch.einsum("s,sv->v", weights, values), weights


def soft_lookup_by_hand(query, keys, values):
    scores = (keys * query).sum(dim=1) / math.sqrt(len(query))
    e = scores.exp()
    weights = e / e.sum()
    return (weights[:, None] * values).sum(dim=0), weights


def soft_lookup_sdpa(query, keys, values):
    output = F.scaled_dot_product_attention(query[None], keys, values)[0]
    weights = torch.softmax(keys @ query / query.shape[0] ** 0.5, dim=0)
    return output, weights


def scores_clone_then_in_place(Q, K):
    Q = Q.clone()
    Q /= math.sqrt(Q.size(-1))
    return Q @ K.mT


def scores_with_optional_mask(Q, K, mask=None):
    s = Q @ K.mT / math.sqrt(Q.size(-1))
    return s if mask is None else s.masked_fill(~mask, float("-inf"))


def attention_weights_by_hand(Q, K):
    s = Q @ K.mT / Q.shape[-1] ** 0.5
    e = torch.exp(s)
    return e / e.sum(dim=-1, keepdim=True)


def attention_weights_stable(Q, K):
    s = torch.einsum("...ld,...sd->...ls", Q, K) / math.sqrt(K.shape[-1])
    e = (s - s.amax(dim=-1, keepdim=True)).exp()
    return e / e.sum(-1, keepdim=True)


def attention_by_hand(Q, K, V):
    s = torch.einsum("...ld,...sd->...ls", Q, K) / Q.shape[-1] ** 0.5
    e = torch.exp(s - s.amax(dim=-1, keepdim=True))
    return torch.einsum("...ls,...sv->...lv", e / e.sum(dim=-1, keepdim=True), V)


def attention_bmm(Q, K, V):
    weights = F.softmax(torch.bmm(Q, K.transpose(1, 2)) / math.sqrt(Q.size(2)), dim=2)
    return torch.bmm(weights, V)


def split_heads_permute(x, num_heads):
    B, T, E = x.shape
    return x.view(B, T, num_heads, E // num_heads).permute(0, 2, 1, 3).contiguous()


def split_heads_chunk(x, num_heads):
    return torch.stack(x.chunk(num_heads, dim=-1), dim=1)


def merge_heads_cat(x):
    return torch.cat(x.unbind(dim=1), dim=-1)


def mha_head_loop(x_q, x_kv, W_q, W_k, W_v, W_o, num_heads):
    Q, K, V = x_q @ W_q, x_kv @ W_k, x_kv @ W_v
    Dh = Q.size(-1) // num_heads
    heads = []
    for h in range(num_heads):
        cols = slice(h * Dh, (h + 1) * Dh)
        weights = torch.softmax(Q[..., cols] @ K[..., cols].mT / math.sqrt(Dh), dim=-1)
        heads.append(weights @ V[..., cols])
    return torch.cat(heads, dim=-1) @ W_o


def mha_sdpa(x_q, x_kv, W_q, W_k, W_v, W_o, num_heads):
    q, k, v = (
        (x @ W).unflatten(-1, (num_heads, -1)).transpose(1, 2)
        for x, W in ((x_q, W_q), (x_kv, W_k), (x_kv, W_v))
    )
    out = F.scaled_dot_product_attention(q, k, v)
    return out.transpose(1, 2).flatten(2) @ W_o


def mha_einsum(x_q, x_kv, W_q, W_k, W_v, W_o, num_heads):
    B, T, E = x_q.shape
    Dh = E // num_heads
    q = torch.einsum("ble,ef->blf", x_q, W_q).view(B, T, num_heads, Dh)
    k = torch.einsum("bse,ef->bsf", x_kv, W_k).view(B, -1, num_heads, Dh)
    v = torch.einsum("bse,ef->bsf", x_kv, W_v).view(B, -1, num_heads, Dh)
    weights = torch.einsum("blhd,bshd->bhls", q, k).div(Dh**0.5).softmax(dim=-1)
    out = torch.einsum("bhls,bshd->blhd", weights, v).reshape(B, T, E)
    return out @ W_o


def mha_output_projection_per_head(x_q, x_kv, W_q, W_k, W_v, W_o, num_heads):
    Q, K, V = (split_heads_ref(x @ W, num_heads) for x, W in ((x_q, W_q), (x_kv, W_k), (x_kv, W_v)))
    heads = attention_ref(Q, K, V)  # (B, H, T, Dh)
    Dh = heads.size(-1)
    return sum(heads[:, h] @ W_o[h * Dh : (h + 1) * Dh] for h in range(num_heads))


def scores_with_numpy(Q, K):
    Qn, Kn = Q.numpy(), K.numpy()
    return torch.from_numpy(Qn @ Kn.transpose(0, 2, 1) / np.sqrt(Qn.shape[-1]))


def attention_with_scale(Q, K, V, scale=None):
    scale = 1 / math.sqrt(Q.size(-1)) if scale is None else scale
    return torch.softmax(Q @ K.mT * scale, dim=-1) @ V


class Course:
    """A learner keeping their answers as methods."""

    def __init__(self):
        self.heads_axis = 1

    def merge_heads(self, x):
        return x.transpose(self.heads_axis, 2).flatten(2)


VARIANTS = [
    ("soft_lookup", soft_lookup_einsum, "einsum"),
    ("soft_lookup", soft_lookup_by_hand, "exp-sum-by-hand"),
    ("soft_lookup", soft_lookup_sdpa, "F.sdpa"),
    ("scores", lambda Q, K: Q @ K.mT / Q.size(-1) ** 0.5, ".mT-and-**0.5"),
    ("scores", lambda Q, K: torch.einsum("bld,bsd->bls", Q, K) / math.sqrt(K.size(-1)), "einsum"),
    ("scores", lambda Q, K: torch.bmm(Q, K.transpose(1, 2)) / math.sqrt(Q.shape[2]), "bmm"),
    ("scores", lambda Q, K: (Q / math.sqrt(Q.size(-1))) @ K.mT, "scale-Q-first"),
    ("scores", scores_clone_then_in_place, "in-place-on-a-clone"),
    ("scores", scores_with_optional_mask, "extra-optional-parameter"),
    ("scores", scores_with_numpy, "numpy-inside"),
    ("scores", lambda *args: args[0] @ args[1].mT / args[0].size(-1) ** 0.5, "*args"),
    ("attention", functools.partial(attention_with_scale, scale=None), "functools.partial"),
    ("merge_heads", Course().merge_heads, "bound-method"),
    ("attention_weights", lambda Q, K: F.softmax(scaled(Q, K), dim=2), "F.softmax-dim=2"),
    ("attention_weights", lambda Q, K: scaled(Q, K).softmax(-1), "Tensor.softmax"),
    ("attention_weights", attention_weights_by_hand, "exp-sum-by-hand"),
    ("attention_weights", attention_weights_stable, "einsum-max-subtracted"),
    ("attention", lambda Q, K, V: F.scaled_dot_product_attention(Q, K, V), "F.sdpa"),
    ("attention", attention_by_hand, "einsum-exp-sum"),
    ("attention", attention_bmm, "bmm"),
    (
        "project_qkv",
        lambda x_q, x_kv, W_q, W_k, W_v: [x_q @ W_q, x_kv @ W_k, x_kv @ W_v],
        "list",
    ),
    (
        "project_qkv",
        lambda x_q, x_kv, W_q, W_k, W_v: tuple(
            torch.einsum("bti,io->bto", x, W) for x, W in ((x_q, W_q), (x_kv, W_k), (x_kv, W_v))
        ),
        "einsum",
    ),
    (
        "project_qkv",
        lambda x_q, x_kv, W_q, W_k, W_v: (
            F.linear(x_q, W_q.T),
            F.linear(x_kv, W_k.T),
            F.linear(x_kv, W_v.T),
        ),
        "F.linear(x,W.T)",
    ),
    (
        "split_heads",
        lambda x, num_heads: x.unflatten(-1, (num_heads, -1)).transpose(1, 2),
        "unflatten",
    ),
    ("split_heads", split_heads_permute, "view-permute"),
    ("split_heads", split_heads_chunk, "chunk-stack"),
    (
        "merge_heads",
        lambda x: x.permute(0, 2, 1, 3).reshape(x.size(0), x.size(2), -1),
        "permute-reshape",
    ),
    ("merge_heads", lambda x: x.transpose(1, 2).contiguous().view(*x.shape[::2], -1), "view"),
    ("merge_heads", lambda x: x.transpose(1, 2).flatten(2), "flatten"),
    ("merge_heads", merge_heads_cat, "cat-unbind"),
    ("multi_head_attention", mha_head_loop, "loop-over-head-slices"),
    ("multi_head_attention", mha_sdpa, "F.sdpa"),
    ("multi_head_attention", mha_einsum, "einsum"),
    ("multi_head_attention", mha_output_projection_per_head, "W_o-per-head"),
    ("causal_mask", lambda T: torch.arange(T)[:, None] >= torch.arange(T)[None, :], "arange"),
    ("causal_mask", lambda T: torch.ones(T, T).tril().bool(), "tril-bool"),
    (
        "causal_mask",
        lambda T: ~torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1),
        "~triu(1)",
    ),
    ("causal_mask", lambda T: torch.from_numpy(np.tri(T, dtype=bool)), "numpy-tri"),
]


def _float32_inside(exercise_id):
    ref = REFERENCES[exercise_id]
    return with_signature_of(exercise_id, lambda *args: ref(*_map_tensors(_float32, args)))


def _grad_tracking_inside(exercise_id):
    ref = REFERENCES[exercise_id]
    return with_signature_of(exercise_id, lambda *args: ref(*_map_tensors(_grad_tracking, args)))


ALL_VARIANTS = (
    [pytest.param(e, REFERENCES[e], id=f"{e}/reference") for e in EXERCISE_IDS]
    + [pytest.param(e, f, id=f"{e}/{label}") for e, f, label in VARIANTS]
    + [
        pytest.param(e, _float32_inside(e), id=f"{e}/float32-inside")
        for e in EXERCISE_IDS
        if e != "causal_mask"
    ]
    + [pytest.param(e, _grad_tracking_inside(e), id=f"{e}/requires-grad") for e in EXERCISE_IDS]
)


@pytest.mark.parametrize("exercise_id, answer", ALL_VARIANTS)
def test_correct_answer_passes(exercise_id, answer):
    result = check(exercise_id, answer)
    assert result.code == "pass", f"{result.code}: {result.message}"
    assert result.passed is True
    assert isinstance(result.message, str) and result.message.strip()


# ----------------------------------------------------------------------------- junk
def _stub(*args):
    raise NotImplementedError("Exercise")


def _body_is_ellipsis(*args): ...


def _body_is_pass(*args):
    pass


def _raises_value_error(*args):
    raise ValueError("learner's bug: bad sizes")


def _returns_string(*args):
    return "the answer"


def _recurses_forever(*args):
    return _recurses_forever(*args)


def _too_few_or_many_parameters(exercise_id):
    if len(PARAMETERS[exercise_id]) == 1:
        return lambda first, second: first
    return lambda first: first


JUNK_WITH_A_CODE = [
    ("answer-None", lambda e: None, "not-attempted"),
    ("stub-NotImplementedError", lambda e: with_signature_of(e, _stub), "not-attempted"),
    (
        "body-ellipsis-returns-None",
        lambda e: with_signature_of(e, _body_is_ellipsis),
        "not-attempted",
    ),
    ("body-pass-returns-None", lambda e: with_signature_of(e, _body_is_pass), "not-attempted"),
    ("returns-Ellipsis", lambda e: with_signature_of(e, lambda *args: ...), "not-attempted"),
    ("raises-ValueError", lambda e: with_signature_of(e, _raises_value_error), "error"),
    ("wrong-number-of-parameters", _too_few_or_many_parameters, "error"),
    ("infinite-recursion", lambda e: with_signature_of(e, _recurses_forever), "error"),
    ("returns-a-string", lambda e: with_signature_of(e, _returns_string), "wrong-type"),
]


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
@pytest.mark.parametrize(
    "label, make_answer, code",
    [pytest.param(label, make, code, id=label) for label, make, code in JUNK_WITH_A_CODE],
)
def test_junk_gets_its_code_without_raising(exercise_id, label, make_answer, code):
    result = expect(exercise_id, make_answer(exercise_id), code)
    if label == "raises-ValueError":
        assert "ValueError" in result.message, result.message
    if label == "infinite-recursion":
        assert "RecursionError" in result.message and "calling itself" in result.message


def _returns_numpy(exercise_id):
    ref = REFERENCES[exercise_id]

    def to_numpy(result):
        if isinstance(result, (tuple, list)):
            return tuple(r.detach().numpy() for r in result)
        return result.detach().numpy()

    return with_signature_of(exercise_id, lambda *args: to_numpy(ref(*args)))


JUNK_ANY_CODE = [
    ("answer-is-a-string", lambda e: e),
    ("answer-is-an-int", lambda e: 42),
    ("answer-is-a-tensor", lambda e: torch.zeros(3)),
    ("returns-numpy", _returns_numpy),
    ("returns-0-dim-tensor", lambda e: with_signature_of(e, lambda *args: torch.tensor(0.0))),
    ("returns-list-of-lists", lambda e: with_signature_of(e, lambda *args: [[1.0, 2.0]])),
    ("returns-empty-tuple", lambda e: with_signature_of(e, lambda *args: ())),
    (
        "returns-complex",
        lambda e: with_signature_of(e, lambda *args: torch.zeros(2, 3, dtype=torch.complex64)),
    ),
]


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
@pytest.mark.parametrize(
    "make_answer", [pytest.param(make, id=label) for label, make in JUNK_ANY_CODE]
)
def test_other_junk_gets_a_code_without_raising(exercise_id, make_answer):
    """The specification names no code for these: any failing code with a message will do."""
    result = check(exercise_id, make_answer(exercise_id))
    assert result.code != "pass" and result.passed is False
    assert isinstance(result.message, str) and result.message.strip()
    assert "Traceback" not in result.message


def test_returning_numpy_where_a_tensor_is_expected_is_wrong_type():
    expect("scores", lambda Q, K: scaled(Q, K).numpy(), "wrong-type")


def test_attention_returning_output_and_weights_is_wrong_type():
    def attention(Q, K, V):
        weights = torch.softmax(scaled(Q, K), dim=-1)
        return weights @ V, weights

    expect("attention", attention, "wrong-type")


# ------------------------------------------------------------- non-finite, mutation
def _all_nan(result):
    if isinstance(result, (tuple, list)):
        return type(result)(_all_nan(r) for r in result)
    return torch.full_like(result, float("nan"))


def _one_inf(result):
    if isinstance(result, (tuple, list)):
        return (_one_inf(result[0]), *result[1:])
    result = result.clone()
    result[(0,) * result.ndim] = float("inf")
    return result


NUMERIC = [e for e in EXERCISE_IDS if e not in ("causal_mask", "mha_padding_mask")]  # bool out


@pytest.mark.parametrize("exercise_id", NUMERIC)
@pytest.mark.parametrize("spoil", [_all_nan, _one_inf], ids=["all-NaN", "one-inf"])
def test_non_finite(exercise_id, spoil):
    ref = REFERENCES[exercise_id]
    expect(exercise_id, with_signature_of(exercise_id, lambda *a: spoil(ref(*a))), "non-finite")


def _mutates_but_right(exercise_id):
    ref = REFERENCES[exercise_id]

    def body(*args):
        result = ref(*_map_tensors(torch.clone, args))
        args[0].add_(1.0)  # the learner's in-place update leaks into the caller's tensor
        return result

    return with_signature_of(exercise_id, body)


def scores_divides_Q_in_place(Q, K):
    Q /= math.sqrt(Q.size(-1))
    return Q @ K.mT


def scores_transposes_K_in_place(Q, K):
    return Q @ K.transpose_(-2, -1) / math.sqrt(Q.size(-1))


def attention_weights_scales_K_in_place(Q, K):
    K.div_(math.sqrt(K.size(-1)))
    return torch.softmax(Q @ K.mT, dim=-1)


def attention_scales_Q_in_place(Q, K, V):
    Q.mul_(1 / math.sqrt(Q.size(-1)))
    return torch.softmax(Q @ K.mT, dim=-1) @ V


def soft_lookup_scales_query_in_place(query, keys, values):
    query /= math.sqrt(query.size(-1))
    weights = torch.softmax(keys @ query, dim=-1)
    return weights @ values, weights


def _zeroes_last_tensor_but_right(exercise_id):
    ref = REFERENCES[exercise_id]

    def body(*args):
        result = ref(*_map_tensors(torch.clone, args))
        [a for a in args if isinstance(a, torch.Tensor)][-1].zero_()
        return result

    return with_signature_of(exercise_id, body)


MUTATING = (
    [pytest.param(e, _mutates_but_right(e), id=f"{e}/first-argument-add_") for e in NUMERIC]
    + [
        pytest.param(e, _zeroes_last_tensor_but_right(e), id=f"{e}/last-tensor-zero_")
        for e in NUMERIC
    ]
    + [
        pytest.param("scores", scores_divides_Q_in_place, id="scores/Q-/=-sqrt"),
        pytest.param("scores", scores_transposes_K_in_place, id="scores/K.transpose_"),
        pytest.param("attention_weights", attention_weights_scales_K_in_place, id="weights/K.div_"),
        pytest.param("attention", attention_scales_Q_in_place, id="attention/Q.mul_"),
        pytest.param("soft_lookup", soft_lookup_scales_query_in_place, id="soft_lookup/query-/="),
    ]
)


@pytest.mark.parametrize("exercise_id, answer", MUTATING)
def test_mutating_an_input_is_reported_even_when_the_result_is_right(exercise_id, answer):
    expect(exercise_id, answer, "mutates-input")


# ------------------------------------------------------- shapes, errors, wrong values
class Recording:
    """Wraps a learner function and keeps every call's arguments and result."""

    def __init__(self, exercise_id, fn):
        self.calls = []
        self.fn = fn
        self.__signature__ = inspect.signature(REFERENCES[exercise_id])

    def __call__(self, *args):
        result = self.fn(*args)
        self.calls.append((_map_tensors(torch.clone, args), result))
        return result


def attention_returns_weights(Q, K, V):
    return torch.softmax(scaled(Q, K), dim=-1)


def mha_without_merge(x_q, x_kv, W_q, W_k, W_v, W_o, num_heads):
    Q, K, V = (split_heads_ref(x @ W, num_heads) for x, W in ((x_q, W_q), (x_kv, W_k), (x_kv, W_v)))
    return attention_ref(Q, K, V)


WRONG_SHAPES = [
    ("scores", lambda Q, K: Q[0] @ K[0].mT / math.sqrt(Q.size(-1)), "T, S", "first-batch-only"),
    ("attention", attention_returns_weights, "T, Dv", "returns-the-weights"),
    ("merge_heads", lambda x: x.transpose(1, 2), None, "no-reshape"),
    (
        "split_heads",
        lambda x, num_heads: x.unflatten(-1, (num_heads, -1)).transpose(1, 3),
        None,
        "transpose(1,3)",
    ),
    ("multi_head_attention", mha_without_merge, None, "heads-not-merged"),
    ("causal_mask", lambda T: torch.ones(T, T, dtype=torch.bool).tril()[None], None, "(1,T,T)"),
]


@pytest.mark.parametrize(
    "exercise_id, answer, axes",
    [pytest.param(e, f, axes, id=f"{e}/{label}") for e, f, axes, label in WRONG_SHAPES],
)
def test_wrong_shape_names_got_and_expected(exercise_id, answer, axes):
    recording = Recording(exercise_id, answer)
    result = expect(exercise_id, recording, "wrong-shape")
    message = result.message
    assert recording.calls, "the checker never called the function"
    shapes_named = [
        str(tuple(got.shape)) in message
        and str(tuple(REFERENCES[exercise_id](*args).shape)) in message
        for args, got in recording.calls
    ]
    assert any(shapes_named), f"got/expected shapes not in: {message}"
    if axes:
        assert axes in message, f"expected axes ({axes}) not named in: {message}"


def test_transposed_scores_are_not_reported_as_a_wrong_shape():
    result = expect("scores", lambda Q, K: K @ Q.mT / math.sqrt(Q.size(-1)), "transposed-scores")
    assert result.code != "wrong-shape"


def test_matmul_mismatch_names_the_shapes_and_what_to_transpose():
    result = expect("scores", lambda Q, K: Q @ K / math.sqrt(Q.size(-1)), "error")
    message = result.message
    assert "(2, 3, 8)" in message and "(2, 5, 8)" in message, message
    assert "transpose" in message.lower(), message
    assert re.search(r"\bK\b", message), f"the operand to transpose (K) is not named: {message}"


@pytest.mark.parametrize(
    "exercise_id, answer",
    [
        pytest.param(
            "attention",
            lambda Q, K, V: torch.softmax(scaled(Q, K), dim=-1) @ V.mT,
            id="attention/weights@V.mT",
        ),
        pytest.param(
            "merge_heads",
            lambda x: x.transpose(1, 2).view(x.size(0), x.size(2), -1),
            id="merge_heads/view-after-transpose",
        ),
    ],
)
def test_other_exceptions_are_errors(exercise_id, answer):
    expect(exercise_id, answer, "error")


def test_matmul_mismatch_in_attention_names_the_shapes():
    def attention(Q, K, V):
        weights = torch.softmax(Q @ K / math.sqrt(Q.size(-1)), dim=-1)
        return weights @ V

    message = expect("attention", attention, "error").message
    assert "(2, 3, 8)" in message and "(2, 5, 8)" in message, message
    assert "transpose" in message.lower(), message


def test_matmul_mismatch_between_heads_says_what_to_transpose():
    def multi_head_attention(x_q, x_kv, W_q, W_k, W_v, W_o, num_heads):
        Q, K, V = (
            split_heads_ref(x @ W, num_heads) for x, W in ((x_q, W_q), (x_kv, W_k), (x_kv, W_v))
        )
        weights = torch.softmax(Q @ K / math.sqrt(Q.size(-1)), dim=-1)  # K not transposed
        return merge_heads_ref(weights @ V) @ W_o

    message = expect("multi_head_attention", multi_head_attention, "error").message
    assert "transpose" in message.lower(), message


def test_sdpa_with_scale_one_is_a_missing_scale():
    expect(
        "attention",
        lambda Q, K, V: F.scaled_dot_product_attention(Q, K, V, scale=1.0),
        "missing-scale",
    )


def test_scores_of_the_transposed_shape_but_other_values_are_a_wrong_shape():
    """(B, S, T) alone does not make K Qᵀ: zeros of that shape are not "transposed-scores"."""

    def scores(Q, K):
        return torch.zeros(Q.size(0), K.size(1), Q.size(1), dtype=Q.dtype)

    expect("scores", scores, "wrong-shape")


def test_queries_of_the_wrong_length_but_other_values_are_a_wrong_shape():
    def project_qkv(x_q, x_kv, W_q, W_k, W_v):
        return torch.zeros(*x_kv.shape[:-1], W_q.size(-1), dtype=x_q.dtype), x_kv @ W_k, x_kv @ W_v

    expect("project_qkv", project_qkv, "wrong-shape")


def test_uniform_weights_are_wrong_values_not_a_named_mistake():
    def attention_weights(Q, K):
        return torch.full((Q.size(0), Q.size(1), K.size(1)), 1 / K.size(1), dtype=Q.dtype)

    expect("attention_weights", attention_weights, "wrong-values")


def test_a_mask_that_lets_one_future_step_through_is_wrong_values():
    expect(
        "causal_mask",
        lambda T: torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=1),
        "wrong-values",
    )


def _all_true(result):
    if isinstance(result, (tuple, list)):
        return type(result)(_all_true(r) for r in result)
    return torch.ones_like(result, dtype=torch.bool)


@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_a_bool_tensor_of_all_true_does_not_pass(exercise_id):
    """Every expected value here is non-zero, so comparing "is it non-zero" would pass this."""
    ref = REFERENCES[exercise_id]
    result = check(exercise_id, with_signature_of(exercise_id, lambda *a: _all_true(ref(*a))))
    assert result.code != "pass", result.message


def _plus_imaginary(result):
    if isinstance(result, (tuple, list)):
        return type(result)(_plus_imaginary(r) for r in result)
    return result + 1j * torch.ones_like(result)


@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_a_complex_result_with_an_imaginary_part_does_not_pass(exercise_id):
    ref = REFERENCES[exercise_id]
    answer = with_signature_of(exercise_id, lambda *a: _plus_imaginary(ref(*a)))
    result = check(exercise_id, answer)
    assert result.code != "pass", result.message


def test_an_exception_that_cannot_be_printed_is_still_an_error():
    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("cannot print me")

    def scores(Q, K):
        raise Unprintable

    expect("scores", scores, "error")


def test_a_result_on_the_meta_device_gets_a_code():
    result = check("scores", lambda Q, K: torch.empty(2, 3, 5, device="meta"))
    assert result.code != "pass"


def _off_by_half_tracking_grad(result):
    if isinstance(result, (tuple, list)):
        return (_off_by_half_tracking_grad(result[0]), *result[1:])
    return _off_by_half(result).float().requires_grad_()


@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_a_wrong_float32_result_that_tracks_gradients_is_wrong_values(exercise_id):
    ref = REFERENCES[exercise_id]
    answer = with_signature_of(exercise_id, lambda *a: _off_by_half_tracking_grad(ref(*a)))
    expect(exercise_id, answer, "wrong-values")


def _off_by_half(result):
    if isinstance(result, (tuple, list)):
        return (_off_by_half(result[0]), *result[1:])
    result = result.clone()
    result[tuple(n - 1 for n in result.shape)] += 0.5
    return result


@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_wrong_values_fallback_gives_the_max_difference(exercise_id):
    ref = REFERENCES[exercise_id]
    answer = with_signature_of(exercise_id, lambda *args: _off_by_half(ref(*args)))
    result = expect(exercise_id, answer, "wrong-values")
    assert re.search(r"0\.5|5(\.0*)?e-0*1", result.message), result.message


def test_wrong_values_message_says_where():
    def scores(Q, K):
        s = Q @ K.mT / math.sqrt(Q.size(-1))
        s[1, 2, 4] += 0.5  # the last batch, query and key
        return s

    result = expect("scores", scores, "wrong-values")
    assert re.search(r"1\D{1,16}2\D{1,16}4", result.message), result.message


# ------------------------------------------------------------------- checker inputs
def _recorded_inputs(exercise_id):
    recording = Recording(exercise_id, REFERENCES[exercise_id])
    assert check(exercise_id, recording).code == "pass"
    assert recording.calls, "the checker never called the function"
    return [args for args, _ in recording.calls]


def _shapes(args):
    return [tuple(a.shape) if isinstance(a, torch.Tensor) else a for a in args]


def _matches_the_specification(exercise_id, args):
    shapes = _shapes(args)
    if exercise_id in ("scores", "attention_weights"):
        return shapes == [(2, 3, 8), (2, 5, 8)]
    if exercise_id == "attention":
        return shapes == [(2, 3, 8), (2, 5, 8), (2, 5, 6)]
    if exercise_id == "multi_head_attention":
        return shapes == [(2, 3, 24), (2, 5, 24)] + [(24, 24)] * 4 + [4]
    if exercise_id == "soft_lookup":
        (E,), (S, E2), (S2, Dv) = shapes
        return (S, S2, Dv) == (5, 5, 3) and E == E2 and E not in (5, 3)
    if exercise_id == "project_qkv":
        xq, xkv, wq, wk, wv = shapes
        return (
            xq[:2] == (2, 3)
            and xkv[:2] == (2, 5)
            and xq[-1] == wq[0]
            and xkv[-1] == wk[0] == wv[0]
            and wq[1] == wk[1]
            and all(w[0] != w[1] for w in (wq, wk, wv))  # non-square: x @ W.T cannot work
        )
    if exercise_id == "split_heads":
        return len(shapes[0]) == 3 and shapes[0][::2] == (2, 24) and shapes[1] == 4
    if exercise_id == "merge_heads":
        (x,) = shapes
        return len(x) == 4 and (x[0], x[1], x[3]) == (2, 4, 6)
    if exercise_id == "causal_mask":
        return isinstance(args[0], int) and args[0] >= 3
    if exercise_id == "masked_attention":
        mask = args[-1]
        fully_masked = not mask.any(-1).all()
        return shapes == [(2, 3, 8), (2, 5, 8), (2, 5, 6), (2, 3, 5)] and fully_masked
    if exercise_id == "cross_attention_qkv":
        xd, xe, wq, wk, wv = shapes
        return (
            xd[:2] == (2, 3)
            and xe[:2] == (2, 5)
            and xd[-1] == wq[0] != xe[-1] == wk[0] == wv[0]  # the encoder has its own width
            and wq[1] == wk[1]
        )
    if exercise_id == "mha_padding_mask":
        lengths, S = args
        full, short = int((lengths == S).sum()), int((lengths < S).sum())
        return len(lengths) != S and full >= 2 and short == 1  # B != S: broadcasting shows
    if exercise_id == "matching_rule":
        q_weight, k_weight = shapes
        return q_weight == k_weight and q_weight[0] != q_weight[1]  # (d_k, E), d_k != E
    if exercise_id == "decode_step":  # B=2, E=7, d_k=3, Dv=6, S=4 cached tokens
        return shapes == [(2, 1, 7), (7, 3), (7, 3), (7, 6), (2, 4, 3), (2, 4, 6)]
    if exercise_id == "grouped_query_attention":  # B=2, H=6, T=4, Dh=8, G=3, S=5
        return shapes == [(2, 6, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)]
    raise AssertionError(exercise_id)


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_checker_inputs_have_the_specified_sizes(exercise_id):
    """B=2, T=3, S=5, d_k=8, Dv=6 (mask (B, T, S)); soft lookup E=4, S=5, Dv=3; heads E=24, H=4,
    Dh=6, T=3; cross-attention E=10, E_enc=7."""
    inputs = _recorded_inputs(exercise_id)
    assert any(_matches_the_specification(exercise_id, args) for args in inputs), [
        _shapes(args) for args in inputs
    ]


def _distinct_axes(exercise_id, args):
    """The sizes of the axes a mistake could confuse are all different."""
    shapes = _shapes(args)
    if exercise_id in ("scores", "attention_weights", "attention"):
        (B, T, d), (_, S, _) = shapes[:2]
        sizes = [B, T, S, d] + ([shapes[2][-1]] if exercise_id == "attention" else [])
    elif exercise_id == "soft_lookup":
        (E,), (S, _), (_, Dv) = shapes
        sizes = [E, S, Dv]
    elif exercise_id == "project_qkv":
        (B, T, E), (_, S, _), (_, d_k), _, (_, d_v) = shapes
        sizes = [B, T, S, E, d_k] + ([d_v] if d_v != d_k else [])
    elif exercise_id == "cross_attention_qkv":
        (B, T, E), (_, S, E_enc), (_, d_k), _, (_, d_v) = shapes
        sizes = [B, T, S, E, E_enc, d_k, d_v]
    elif exercise_id == "masked_attention":
        (B, T, d), (_, S, _), (_, _, d_v), _ = shapes
        sizes = [B, T, S, d, d_v]
    elif exercise_id == "split_heads":
        (B, T, E), H = shapes
        sizes = [B, T, E, H, E // H]
    elif exercise_id == "merge_heads":
        sizes = list(shapes[0])
    elif exercise_id == "multi_head_attention":
        (B, T, E), (_, S, _), *_, H = shapes
        sizes = [B, T, S, E, E // H]
    elif exercise_id == "mha_padding_mask":
        (B,), S = shapes
        sizes = [B, S]
    elif exercise_id == "matching_rule":
        sizes = list(shapes[0])  # d_k, E
    elif exercise_id == "decode_step":
        (B, T, E), (_, d_k), _, (_, d_v), (_, S, _), _ = shapes
        sizes = [B, T, E, d_k, d_v, S, S + 1]
    elif exercise_id == "grouped_query_attention":
        (B, H, T, Dh), (_, G, S, _), _ = shapes
        sizes = [B, H, T, Dh, G, S] + ([] if H // G != G else [G])  # H/G != G: repeat shows
    else:
        return args[0] >= 3
    return len(set(sizes)) == len(sizes)


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_checker_inputs_are_fixed_float64_with_distinct_sizes(exercise_id):
    torch.manual_seed(0)
    first = _recorded_inputs(exercise_id)
    torch.manual_seed(1)
    second = _recorded_inputs(exercise_id)
    for args in first:
        for a in args:
            if isinstance(a, torch.Tensor):  # a mask is bool, lengths int64, the rest float64
                mask = exercise_id == "masked_attention" and a is args[-1]
                lengths = exercise_id == "mha_padding_mask"
                dtype = torch.bool if mask else torch.int64 if lengths else torch.float64
                assert a.dtype == dtype, _shapes(args)
    assert _distinct_axes(exercise_id, first[0]), _shapes(first[0])
    # the learner's seed does not change the inputs
    assert len(first) == len(second)
    for args1, args2 in zip(first, second, strict=True):
        for a, b in zip(args1, args2, strict=True):
            if isinstance(a, torch.Tensor):
                assert torch.equal(a, b)
            else:
                assert a == b


# --------------------------------------------------------------- the result object
def test_result_shows_one_line_and_html():
    ok = check("scores", scores_ref)
    bad = check("scores", lambda Q, K: Q @ K.mT)
    for result in (ok, bad):
        for text in (repr(result), str(result)):
            assert text.strip() and "\n" not in text.strip(), text
        html = result._repr_html_()
        assert isinstance(html, str) and html.strip()
    assert any(word in str(ok).lower() for word in ("pass", "correct", "✔")), str(ok)
    assert "missing-scale" in str(bad), str(bad)
    assert str(ok).split()[0] != str(bad).split()[0], "pass and fail lines look alike"


def test_result_html_escapes_the_learners_text():
    def scores(Q, K):
        raise ValueError("<script>alert(1)</script>")

    html = check("scores", scores)._repr_html_()
    assert "<script>" not in html


# --------------------------------------------------------------------- strict mode
def test_strict_mode_raises_on_a_wrong_answer(monkeypatch):
    monkeypatch.setenv("QKV_CHECK_STRICT", "1")
    assert issubclass(qkv.exercises.ExerciseFailed, AssertionError)
    with pytest.raises(qkv.exercises.ExerciseFailed) as excinfo:
        qkv.check("scores", lambda Q, K: Q @ K.mT)
    assert "missing-scale" in str(excinfo.value)
    with pytest.raises(AssertionError, match="not-attempted"):
        qkv.check("attention", None)
    with pytest.raises(qkv.exercises.ExerciseFailed, match="error"):
        qkv.check("causal_mask", _raises_value_error)


@pytest.mark.parametrize("exercise_id", list(qkv.exercises.EXERCISES))
def test_strict_mode_passes_the_reference_and_raises_on_the_first_mistake(exercise_id, monkeypatch):
    monkeypatch.setenv("QKV_CHECK_STRICT", "1")
    exercise = qkv.exercises.EXERCISES[exercise_id]
    assert qkv.check(exercise_id, exercise.reference).passed
    with pytest.raises(qkv.exercises.ExerciseFailed):
        qkv.check(exercise_id, exercise.mistakes[0].compute)


def test_strict_mode_passes_a_right_answer(monkeypatch):
    monkeypatch.setenv("QKV_CHECK_STRICT", "1")
    for exercise_id in EXERCISE_IDS:
        assert qkv.check(exercise_id, REFERENCES[exercise_id]).passed is True


def test_without_strict_mode_a_wrong_answer_does_not_raise(monkeypatch):
    monkeypatch.delenv("QKV_CHECK_STRICT", raising=False)
    assert qkv.check("scores", lambda Q, K: Q @ K.mT).passed is False
    monkeypatch.setenv("QKV_CHECK_STRICT", "0")
    assert qkv.check("scores", lambda Q, K: Q @ K.mT).passed is False


def test_strict_mode_still_raises_key_error_for_an_unknown_id(monkeypatch):
    monkeypatch.setenv("QKV_CHECK_STRICT", "1")
    with pytest.raises(KeyError):
        qkv.check("attentoin", attention_ref)


# ----------------------------------------------------------------- the exercise list
def _parameters(signature):
    match = re.match(r"\s*\w+\(([^)]*)\)", signature)
    assert match, signature
    return tuple(p.strip() for p in match.group(1).split(",") if p.strip())


def test_exercise_list():
    exercises = qkv.exercises.EXERCISES
    assert isinstance(exercises, dict)
    assert set(exercises) == set(EXERCISE_IDS)
    for exercise_id, exercise in exercises.items():
        assert exercise.id == exercise_id
        assert type(exercise.chapter) is int and exercise.chapter >= 1
        assert isinstance(exercise.title, str) and exercise.title.strip()
        assert type(exercise.points) is int and exercise.points > 0
        assert type(exercise.minutes) is int and exercise.minutes > 0
        assert exercise.difficulty in ("easy", "medium", "hard")
        assert len(_parameters(exercise.signature)) == len(PARAMETERS[exercise_id]), (
            exercise.signature
        )
    assert exercises["soft_lookup"].chapter == 1


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_signature_names_the_parameters_of_the_table(exercise_id):
    signature = qkv.exercises.EXERCISES[exercise_id].signature
    assert _parameters(signature) == PARAMETERS[exercise_id], signature


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_signature_starts_with_the_call_of_the_specification(exercise_id):
    """``signature`` is the call, e.g. "fn(Q, K)", followed by what it returns."""
    exercise = qkv.exercises.EXERCISES[exercise_id]
    assert exercise.call == f"fn({', '.join(PARAMETERS[exercise_id])})", exercise.signature
    assert exercise.signature.startswith(exercise.call + " -> "), exercise.signature


def test_unknown_exercise_raises_key_error_naming_the_valid_ids():
    with pytest.raises(KeyError) as excinfo:
        qkv.check("attentoin", attention_ref)
    for exercise_id in EXERCISE_IDS:
        assert exercise_id in str(excinfo.value)
