"""The checkers of ``mha_padding_mask`` (chapter 6) and ``matching_rule`` (chapter 7).

As in tests/test_exercises.py: answers written the way learners write them. A plain reference
passes, so do correct variants in other styles; each known mistake gets its own code and a
word of its message; junk never raises and gets a code (strict mode, for every exercise,
is in tests/test_exercises.py). The padding exercise is the first whose input tensor holds
integers, so the payload round trip of its inputs is tested here too.
"""

from __future__ import annotations

import io
import math

import pytest
import torch
import torch.nn.functional as F
from exercise_helpers import expect

import qkv_lib as qkv
from qkv_lib.exercises import EXERCISES, Inputs, Observation, judge, observe


# ------------------------------------------------------------------------ mha_padding_mask
def padding_ref(lengths, S):
    return torch.arange(S)[None, :] >= lengths[:, None]  # (B, S), True = padding


def padding_loop(lengths, S):
    mask = torch.zeros(len(lengths), S, dtype=torch.bool)
    for b, n in enumerate(lengths.tolist()):
        mask[b, n:] = True
    return mask


def padding_from_real(lengths, S):
    real = torch.arange(S).expand(len(lengths), S) < lengths.unsqueeze(-1)  # True = real token
    return ~real


def padding_via_sdpa_converter(lengths, S):
    may_attend = torch.arange(S) < lengths.view(-1, 1)
    return qkv.sdpa_mask_from_mha(may_attend)  # the converters are each other's inverse


@pytest.mark.parametrize(
    "answer",
    [
        padding_ref,
        padding_loop,
        padding_from_real,
        padding_via_sdpa_converter,
        qkv.key_padding_mask,
        lambda lengths, S: torch.arange(1, S + 1) > lengths[:, None],  # 1-based positions
        lambda lengths, S: (torch.arange(S) >= lengths[:, None]).to(torch.bool),
    ],
)
def test_mha_padding_mask_correct_variants_pass(answer):
    expect("mha_padding_mask", answer, "pass")


@pytest.mark.parametrize(
    "answer, code, word",
    [
        (lambda lengths, S: torch.arange(S) < lengths[:, None], "mask-inverted", "SDPA"),
        (lambda lengths, S: ~padding_ref(lengths, S), "mask-inverted", "true"),
        (lambda lengths, S: torch.arange(S) > lengths[:, None], "off-by-one", "too late"),
        (lambda lengths, S: torch.arange(1, S + 1) >= lengths[:, None], "off-by-one", "early"),
        (
            lambda lengths, S: torch.arange(S) >= lengths.unsqueeze(1) - 1,
            "off-by-one",
            "last real token",
        ),
        (
            lambda lengths, S: torch.arange(S) >= lengths,
            "lengths-not-broadcast",
            "lengths[:, None]",
        ),
    ],
)
def test_mha_padding_mask_mistakes_get_their_code(answer, code, word):
    expect("mha_padding_mask", answer, code, word)


def test_a_float_mask_is_wrong_type_and_says_what_true_means_here():
    result = expect(
        "mha_padding_mask", lambda lengths, S: padding_ref(lengths, S).float(), "wrong-type"
    )
    assert "True = padding" in result.message and "may attend)" not in result.message


def test_a_causal_mask_float_answer_still_says_may_attend():
    result = expect("causal_mask", lambda T: torch.ones(T, T).tril(), "wrong-type")
    assert "True = may attend" in result.message


def test_a_mask_transposed_to_s_by_b_names_its_axes():
    answer = lambda lengths, S: torch.arange(S)[:, None] >= lengths  # noqa: E731
    expect("mha_padding_mask", answer, "wrong-shape", "(S, B)", "(B, S)")


def test_the_padding_checker_batch_has_full_rows_a_short_one_and_b_not_s():
    exercise = EXERCISES["mha_padding_mask"]
    lengths, S = exercise.inputs().args
    assert lengths.dtype == torch.int64 and lengths.dim() == 1 and type(S) is int
    assert len(lengths) != S
    assert int((lengths == S).sum()) >= 2 and int((lengths < S).sum()) == 1
    probe_lengths, probe_S = exercise.probe().args
    assert len(probe_lengths) == probe_S  # only there does `arange(S) >= lengths` run


@pytest.mark.parametrize(
    "answer, code",
    [
        (None, "not-attempted"),
        (42, "wrong-type"),
        (lambda lengths: lengths, "error"),
        (lambda lengths, S, extra: lengths, "error"),
        (lambda lengths, S: padding_ref(lengths, S)[:, :-1], "wrong-shape"),
        (lambda lengths, S: (padding_ref(lengths, S),), "wrong-type"),
        (lambda lengths, S: padding_ref(lengths, S).tolist(), "wrong-type"),
        (lambda lengths, S: padding_ref(lengths, S).numpy(), "wrong-type"),
        (lambda lengths, S: padding_ref(lengths.sub_(0), S), "pass"),  # in place, no change
        (lambda lengths, S: padding_ref(lengths.sub_(1), S), "mutates-input"),
        (lambda lengths, S: padding_ref(lengths.float(), S), "pass"),
        (lambda lengths, S: torch.arange(S) >= lengths[:, None, None], "wrong-shape"),
    ],
)
def test_mha_padding_mask_junk_gets_a_code(answer, code):
    expect("mha_padding_mask", answer, code)


def test_int_inputs_cross_the_process_boundary():
    """The grader sends the int64 lengths and gets the bool mask back as plain data."""
    exercise = EXERCISES["mha_padding_mask"]

    def saved_and_loaded(payload):
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        buffer.seek(0)
        return torch.load(buffer, weights_only=True)

    inputs = Inputs.from_payload(saved_and_loaded(exercise.inputs().to_payload()))
    assert inputs.args[0].dtype == torch.int64 and type(inputs.args[1]) is int
    for answer, code in ((padding_ref, "pass"), (exercise.mistakes[0].compute, "mask-inverted")):
        loaded = saved_and_loaded(observe(exercise, answer, inputs).to_payload())
        assert judge(exercise, Observation.from_payload(loaded), inputs).code == code


# --------------------------------------------------------------------------- matching_rule
def rule_ref(q_weight, k_weight):
    W_q, W_k = q_weight.T, k_weight.T  # (E, d_k) each: nn.Linear stores the transpose
    return W_q @ W_k.T / math.sqrt(W_q.shape[1])  # (E, E)


def rule_einsum(q_weight, k_weight):
    d_k = q_weight.shape[0]
    return torch.einsum("de,df->ef", q_weight, k_weight) / d_k**0.5


def rule_mT(q_weight, k_weight):
    return q_weight.mT @ k_weight * q_weight.size(0) ** -0.5


def rule_linear(q_weight, k_weight):
    # F.linear(x, w) is x @ w.T: the rows of W_q (= q_weight.T) against W_k's rows
    return F.linear(q_weight.T, k_weight.T) / math.sqrt(len(q_weight))


def rule_from_identity(q_weight, k_weight):
    E = q_weight.shape[1]
    eye = torch.eye(E, dtype=q_weight.dtype)  # (E, E): the E unit vectors as tokens
    q, k = F.linear(eye, q_weight), F.linear(eye, k_weight)  # (E, d_k) each: W_q, W_k
    return q @ k.T / math.sqrt(q.shape[-1])


@pytest.mark.parametrize(
    "answer",
    [
        rule_ref,
        rule_einsum,
        rule_mT,
        rule_linear,
        rule_from_identity,
        lambda q_weight, k_weight: rule_ref(q_weight.float(), k_weight.float()),
        lambda q_weight, k_weight: rule_ref(
            q_weight.clone().requires_grad_(), k_weight.clone().requires_grad_()
        ),
    ],
)
def test_matching_rule_correct_variants_pass(answer):
    expect("matching_rule", answer, "pass")


@pytest.mark.parametrize(
    "answer, code, word",
    [
        (
            lambda q_weight, k_weight: q_weight @ k_weight.T / math.sqrt(q_weight.shape[0]),
            "stored-transpose",
            "q_weight.T",
        ),
        (
            lambda q_weight, k_weight: q_weight @ k_weight / math.sqrt(q_weight.shape[0]),
            "stored-transpose",
            "stored",
        ),
        (
            lambda q_weight, k_weight: q_weight.T @ k_weight.T / math.sqrt(q_weight.shape[0]),
            "stored-transpose",
            "W_qᵀ",
        ),
        (
            lambda q_weight, k_weight: k_weight.T @ q_weight / math.sqrt(q_weight.shape[0]),
            "rule-transposed",
            "W_k W_qᵀ",
        ),
        (lambda q_weight, k_weight: rule_ref(k_weight, q_weight), "rule-transposed", "order"),
        (lambda q_weight, k_weight: q_weight.T @ k_weight, "missing-scale", "√d_k"),
        (
            lambda q_weight, k_weight: q_weight.T @ k_weight / math.sqrt(q_weight.shape[-1]),
            "wrong-scale",
            "√E",
        ),
        (
            lambda q_weight, k_weight: q_weight.T @ k_weight / q_weight.shape[0],
            "wrong-scale",
            "square root",
        ),
    ],
)
def test_matching_rule_mistakes_get_their_code(answer, code, word):
    expect("matching_rule", answer, code, word)


def test_two_mistakes_at_once_get_a_hint_naming_one_of_them():
    no_scale_stored = lambda q_weight, k_weight: q_weight @ k_weight.T  # noqa: E731
    expect("matching_rule", no_scale_stored, "wrong-shape", "(d_k, d_k)", "stores W_qᵀ")
    swapped_unscaled = lambda q_weight, k_weight: k_weight.T @ q_weight  # noqa: E731
    expect("matching_rule", swapped_unscaled, "wrong-values", "2 times the transpose")
    scaled_thrice = lambda q_weight, k_weight: rule_ref(q_weight, k_weight) / 3  # noqa: E731
    expect("matching_rule", scaled_thrice, "wrong-scale", "times 0.333", "by E = 6", "√d_k")


def test_the_rule_checker_weights_are_not_square():
    q_weight, k_weight = EXERCISES["matching_rule"].inputs().args
    assert q_weight.shape == k_weight.shape and q_weight.shape[0] != q_weight.shape[1]
    assert q_weight.dtype == k_weight.dtype == torch.float64


@pytest.mark.parametrize(
    "answer, code",
    [
        (None, "not-attempted"),
        ("q_weight.T @ k_weight", "wrong-type"),
        (lambda q_weight: q_weight, "error"),
        (lambda q_weight, k_weight: (rule_ref(q_weight, k_weight), q_weight), "wrong-type"),
        (lambda q_weight, k_weight: rule_ref(q_weight, k_weight).numpy(), "wrong-type"),
        (lambda q_weight, k_weight: rule_ref(q_weight, k_weight)[:-1], "wrong-shape"),
        (lambda q_weight, k_weight: rule_ref(q_weight, k_weight) + 1, "wrong-values"),
        (lambda q_weight, k_weight: rule_ref(q_weight, k_weight) / 0.0, "non-finite"),
        (lambda q_weight, k_weight: rule_ref(q_weight.mul_(2), k_weight), "mutates-input"),
        (lambda q_weight, k_weight: q_weight.T.int() @ k_weight.int(), "wrong-type"),
    ],
)
def test_matching_rule_junk_gets_a_code(answer, code):
    expect("matching_rule", answer, code)


@pytest.mark.parametrize("exercise_id, chapter", [("mha_padding_mask", 6), ("matching_rule", 7)])
def test_the_exercises_are_catalogued_in_their_chapters(exercise_id, chapter):
    exercise = EXERCISES[exercise_id]
    assert exercise.chapter == chapter
    order = list(EXERCISES)
    assert order.index("multi_head_attention") < order.index(exercise_id)
    assert len({m.code for m in exercise.mistakes}) >= 3  # at least three named mistakes
