"""``wrong-scale``: an answer right up to a scale gets a message that names the factor.

Two kinds (qkv_lib/exercises/scale.py): scores multiplied by the wrong number (√S instead of
1/√d_k, a hard-coded 3, ...), which after a softmax is no constant factor on the output and
is found by recomputing the exercise with other scales; and a constant factor c on an
output, found by least squares and named from the sizes when it can be. The known
``wrong-scale`` mistakes (1/d_k, ×√d_k, √E, ...) keep their own messages.
"""

from __future__ import annotations

import math

import pytest
import torch

import qkv_lib as qkv
from qkv_lib.exercises import EXERCISES
from qkv_lib.exercises.scale import constant_factor, factor_form

SCALED = sorted(e.id for e in EXERCISES.values() if e.score_scale is not None)


def expect(exercise_id, answer, code, *words):
    result = qkv.check(exercise_id, answer)
    assert result.code == code, f"expected {code}, got {result.code}: {result.message}"
    for word in words:
        assert word in result.message, f"{word!r} not in {result.message!r}"
    return result


def attend(Q, K, V, divide_by):
    return torch.softmax(Q @ K.mT / divide_by, dim=-1) @ V


# ------------------------------------- dividing the scores by √S (the number of keys)
def scores_over_sqrt_S(Q, K):
    return Q @ K.mT / math.sqrt(K.size(-2))


def weights_over_sqrt_S(Q, K):
    return torch.softmax(Q @ K.mT / math.sqrt(K.size(-2)), dim=-1)


def attention_over_sqrt_S(Q, K, V):
    return attend(Q, K, V, math.sqrt(K.size(-2)))


def lookup_over_sqrt_S(query, keys, values):
    weights = torch.softmax(keys @ query / math.sqrt(keys.size(0)), dim=-1)
    return weights @ values, weights


def masked_over_sqrt_S(Q, K, V, mask):
    scores = (Q @ K.mT / math.sqrt(K.size(-2))).masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1).nan_to_num(0.0) @ V


def mha_over_sqrt_S(x_q, x_kv, W_q, W_k, W_v, W_o, num_heads):
    B, T, E = x_q.shape
    S, Dh = x_kv.size(1), E // num_heads

    def split(x):
        return x.view(B, -1, num_heads, Dh).transpose(1, 2)

    q, k, v = split(x_q @ W_q), split(x_kv @ W_k), split(x_kv @ W_v)
    out = attend(q, k, v, math.sqrt(S))  # (B, H, T, Dh)
    return out.transpose(1, 2).reshape(B, T, E) @ W_o


def gqa_over_sqrt_S(q, k, v):
    r = q.size(1) // k.size(1)
    k, v = k.repeat_interleave(r, dim=1), v.repeat_interleave(r, dim=1)
    return attend(q, k, v, math.sqrt(k.size(-2)))


def decode_over_sqrt_keys(x_new, W_q, W_k, W_v, k_cache, v_cache):
    keys = torch.cat([k_cache, x_new @ W_k], dim=1)
    values = torch.cat([v_cache, x_new @ W_v], dim=1)
    return attend(x_new @ W_q, keys, values, math.sqrt(keys.size(1))), keys, values


OVER_SQRT_S = {
    "scores": (scores_over_sqrt_S, "√S = √5"),
    "attention_weights": (weights_over_sqrt_S, "√S = √5"),
    "attention": (attention_over_sqrt_S, "√S = √5"),
    "soft_lookup": (lookup_over_sqrt_S, "√S = √5"),
    "masked_attention": (masked_over_sqrt_S, "√S = √5"),
    "multi_head_attention": (mha_over_sqrt_S, "√S = √5"),
    "grouped_query_attention": (gqa_over_sqrt_S, "√S = √5"),
    "decode_step": (decode_over_sqrt_keys, "√(S+1) = √5"),
}


@pytest.mark.parametrize("exercise_id", sorted(OVER_SQRT_S))
def test_dividing_the_scores_by_the_root_of_the_number_of_keys_is_named(exercise_id):
    answer, named = OVER_SQRT_S[exercise_id]
    exercise = EXERCISES[exercise_id]
    right = exercise.score_scale.label
    expect(exercise_id, answer, "wrong-scale", f"divided the scores by {named}", f"√{right}")


def test_every_exercise_with_a_scale_is_covered_here():
    assert set(OVER_SQRT_S) == set(SCALED) - {"matching_rule"}  # no S there: see below


def test_the_scores_factor_is_also_named_as_a_constant_factor():
    result = expect("scores", scores_over_sqrt_S, "wrong-scale", "times 1.26")
    assert "you divided the scores by √S" in result.message


# --------------------------------------------- any other factor on the scores, fitted
@pytest.mark.parametrize("exercise_id", SCALED)
@pytest.mark.parametrize(
    "factor, words",
    [(1 / 3.7, "divided the scores by 3.7"), (2.5, "multiplied the scores by 2.5")],
    ids=["over-3.7", "times-2.5"],
)
def test_an_arbitrary_factor_on_the_scores_is_fitted_and_named(exercise_id, factor, words):
    scale = EXERCISES[exercise_id].score_scale
    answer = lambda *args: scale.compute(*args, factor=factor)  # noqa: E731
    words = words.replace("the scores", scale.what)
    expect(exercise_id, answer, "wrong-scale", words, f"√{scale.label}")


def test_a_float32_answer_with_a_wrong_scale_is_still_named():
    def attention(Q, K, V):
        Q, K, V = Q.float(), K.float(), V.float()
        return attend(Q, K, V, 3.0)

    expect("attention", attention, "wrong-scale", "divided the scores by T = 3")


def test_the_known_scale_mistakes_keep_their_messages():
    expect("scores", lambda Q, K: Q @ K.mT / Q.size(-1), "wrong-scale", "its square root")
    expect("decode_step", decode_over_sqrt_keys, "wrong-scale", "√(S+1)")  # not √E's message
    exercise = EXERCISES["multi_head_attention"]
    known = next(m for m in exercise.mistakes if "√E" in m.message)
    assert qkv.check("multi_head_attention", known.compute).message == known.message


# ------------------------------------------------------- a constant factor on an output
def test_a_factor_on_the_attention_output_is_named_with_where_the_scale_belongs():
    def attention(Q, K, V):
        return attend(Q, K, V, math.sqrt(Q.size(-1))) / math.sqrt(Q.size(-1))

    result = expect("attention", attention, "wrong-scale", "times 0.354", "perhaps 1/√d_k")
    assert "before the softmax" in result.message


def test_a_factor_on_one_of_several_outputs_names_that_output():
    def project_qkv(x_q, x_kv, W_q, W_k, W_v):
        Q = x_q @ W_q / math.sqrt(W_q.size(1))  # scaled in the projection: not here
        return Q, x_kv @ W_k, x_kv @ W_v

    expect("project_qkv", project_qkv, "wrong-scale", "Your Q is the expected one times 0.354")


@pytest.mark.parametrize(
    "exercise_id, answer, words",
    [
        ("split_heads", lambda x, H: 2 * x.view(2, 3, H, -1).transpose(1, 2), "times 2"),
        ("merge_heads", lambda x: -x.transpose(1, 2).reshape(2, 3, -1), "the sign is flipped"),
        (
            "cross_attention_qkv",
            lambda xd, xe, Wq, Wk, Wv: (xd @ Wq, xe @ Wk, xe @ Wv / 7),
            "Your V is the expected one times 0.143 (perhaps 1/E_enc)",
        ),
    ],
    ids=["split_heads", "merge_heads", "cross_attention_qkv"],
)
def test_a_constant_factor_without_scores_is_named(exercise_id, answer, words):
    expect(exercise_id, answer, "wrong-scale", words)


@pytest.mark.parametrize(
    "answer",
    [
        lambda Q, K: 1.0005 * Q @ K.mT / math.sqrt(Q.size(-1)),  # within noise of 1
        lambda Q, K: torch.zeros(2, 3, 5, dtype=torch.float64),  # times 0 is no scale
        lambda Q, K: Q @ K.mT / math.sqrt(Q.size(-1)) + 0.01,  # not proportional
    ],
    ids=["almost-1", "zero", "shifted"],
)
def test_what_is_not_a_scale_stays_wrong_values(answer):
    expect("scores", answer, "wrong-values")


def test_uniform_weights_are_not_a_tiny_scale():
    expect("attention_weights", lambda Q, K: torch.full((2, 3, 5), 0.2), "wrong-values")


def test_constant_factor_is_least_squares_checked_on_every_element():
    want = torch.arange(1.0, 7.0).reshape(2, 3)
    assert constant_factor(0.63 * want, want) == pytest.approx(0.63)
    spoiled = 0.63 * want
    spoiled[1, 2] += 0.1
    assert constant_factor(spoiled, want) is None
    assert constant_factor(want, torch.zeros(2, 3)) is None


def test_factor_form_names_sizes_roots_and_their_ratios():
    sizes = {"B": 2, "T": 3, "S": 5, "d_k": 8}
    assert factor_form(math.sqrt(8) / math.sqrt(5), sizes) == "√d_k/√S"
    assert factor_form(1 / math.sqrt(8), sizes) == "1/√d_k"
    assert factor_form(5.0, sizes) == "S"
    assert factor_form(-1.0, sizes) == "-1: the sign is flipped"
    assert factor_form(0.77, sizes) is None
