"""``observe`` records what an answer did as plain data, and ``judge`` names it from that alone.

tests/test_exercises.py checks the verdicts through ``check``; this file checks the two halves
``check`` is made of: what an observation holds, when the answer is called, and that judging
an observation never needs the answer.
"""

import inspect
import math

import numpy as np
import pytest
import torch

from qkv_lib.exercises import EXERCISES, Inputs, Observation, check, judge, observe
from qkv_lib.exercises.observation import MESSAGE_CHARS, Call, Opaque


class Counting:
    """An answer that counts its calls; ``fn`` does the work."""

    def __init__(self, fn):
        self.fn = fn
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


def scores(Q, K):
    return Q @ K.mT / math.sqrt(Q.size(-1))


def attention_with_K_Q(Q, K, V):
    """Softmax of K Qᵀ: (B, S, T) @ (B, S, Dv) raises unless T == S, as on the probe inputs."""
    return torch.softmax(K @ Q.mT / math.sqrt(Q.size(-1)), dim=-1) @ V


def test_none_and_non_callables_are_recorded_without_a_call():
    none = observe(EXERCISES["scores"], None)
    assert (none.kind, none.call, none.probe) == ("none", None, None)
    number = observe(EXERCISES["scores"], 42)
    assert (number.kind, number.type_name, number.call) == ("not-callable", "int", None)


def test_parameters_that_do_not_fit_are_recorded_and_the_answer_is_not_called():
    answer = Counting(lambda first: first)
    answer.__signature__ = inspect.signature(lambda first: first)
    observation = observe(EXERCISES["scores"], answer)
    assert observation.binds is False and observation.signature == "(first)"
    assert observation.call is None and answer.calls == 0


def test_a_builtin_without_a_signature_is_called():
    observation = observe(EXERCISES["scores"], torch.matmul)
    assert observation.signature is None and observation.binds is True
    assert observation.call.error is not None  # (2, 3, 8) @ (2, 5, 8)


def test_a_tensor_result_is_recorded_detached_and_plain():
    answer = lambda Q, K: torch.nn.Parameter(scores(Q, K).float())  # noqa: E731
    call = observe(EXERCISES["scores"], answer).call
    assert type(call.value) is torch.Tensor and not call.value.requires_grad
    assert call.type_name == "Parameter"
    assert call.value.shape == (2, 3, 5) and call.error is None and call.mutated == ()


@pytest.mark.parametrize(
    "returned, type_name, value",
    [
        pytest.param(lambda out: [out, out.numpy()], "list", (torch.Tensor, Opaque("ndarray"))),
        pytest.param(lambda out: (out, None), "tuple", (torch.Tensor, Opaque("NoneType"))),
        pytest.param(lambda out: ..., "ellipsis", None),
        pytest.param(lambda out: None, "NoneType", None),
        pytest.param(lambda out: {"out": out}, "dict", Opaque("dict")),
    ],
    ids=["list-with-ndarray", "tuple-with-None", "Ellipsis", "None", "dict"],
)
def test_other_results_are_recorded_by_their_type_names(returned, type_name, value):
    call = observe(EXERCISES["scores"], lambda Q, K: returned(scores(Q, K))).call
    assert call.type_name == type_name
    if isinstance(value, tuple):
        assert isinstance(call.value, tuple) and len(call.value) == len(value)
        assert isinstance(call.value[0], torch.Tensor) and call.value[1] == value[1]
    else:
        assert call.value == value


def test_changed_arguments_are_recorded_by_name():
    def attention(Q, K, V):
        Q /= math.sqrt(Q.size(-1))
        V.zero_()
        return torch.softmax(Q @ K.mT, dim=-1) @ V

    assert observe(EXERCISES["attention"], attention).call.mutated == ("Q", "V")


def test_a_failed_matrix_product_is_recorded_with_shapes_and_argument_names():
    call = observe(EXERCISES["scores"], lambda Q, K: Q @ K).call
    record = call.failed_matmul
    assert (tuple(record.left), tuple(record.right)) == ((2, 3, 8), (2, 5, 8))
    assert (record.left_name, record.right_name) == ("Q", "K")
    assert call.error.type_name == "RuntimeError" and call.value is None


def test_an_operand_that_is_not_an_argument_has_no_name():
    record = observe(EXERCISES["scores"], lambda Q, K: K.mT @ Q).call.failed_matmul
    assert (record.left_name, record.right_name) == (None, "Q")


def test_an_error_keeps_its_type_and_the_start_of_its_message():
    def answer(Q, K):
        raise NotImplementedError("  \n" + "x" * 2 * MESSAGE_CHARS)

    error = observe(EXERCISES["scores"], answer).call.error
    assert error.type_name == "NotImplementedError" and error.not_implemented
    assert error.message == "x" * MESSAGE_CHARS


def test_an_error_that_cannot_print_itself_has_an_empty_message():
    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("cannot print me")

    def answer(Q, K):
        raise Unprintable

    error = observe(EXERCISES["scores"], answer).call.error
    assert (error.type_name, error.message, error.not_implemented) == ("Unprintable", "", False)


@pytest.mark.parametrize(
    "exercise_id, fn, calls",
    [
        pytest.param("attention", attention_with_K_Q, 2, id="raises-with-a-probe"),
        pytest.param("scores", lambda Q, K: Q @ K, 1, id="raises-without-a-probe"),
        pytest.param("attention", lambda Q, K, V: torch.softmax(Q @ K.mT, -1) @ V, 1, id="runs"),
    ],
)
def test_the_probe_runs_only_after_an_error_and_only_when_the_exercise_has_one(
    exercise_id, fn, calls
):
    answer = Counting(fn)
    observation = observe(EXERCISES[exercise_id], answer)
    assert answer.calls == calls
    assert (observation.probe is not None) == (calls == 2)


def test_the_probe_does_not_run_after_a_not_implemented_error():
    def stub(Q, K, V):
        raise NotImplementedError

    answer = Counting(stub)
    assert observe(EXERCISES["attention"], answer).probe is None and answer.calls == 1


def test_the_probe_call_names_the_mistake_that_only_runs_there():
    observation = observe(EXERCISES["attention"], attention_with_K_Q)
    assert observation.call.failed_matmul is not None
    assert observation.probe.error is None and observation.probe.value.shape == (2, 5, 6)
    assert judge(EXERCISES["attention"], observation).code == "transposed-scores"


def test_given_inputs_are_the_ones_the_answer_receives_and_judge_uses():
    exercise = EXERCISES["scores"]
    g = torch.Generator().manual_seed(0)
    sizes = {"B": 3, "T": 4, "S": 7, "d_k": 2}
    Q, K = (torch.randn(3, n, 2, generator=g, dtype=torch.float64) for n in (4, 7))
    inputs = Inputs((Q, K), ("Q", "K"), sizes)
    observation = observe(exercise, scores, inputs)
    assert observation.call.value.shape == (3, 4, 7)
    assert judge(exercise, observation, inputs).code == "pass"
    assert judge(exercise, observation).code == "wrong-shape"  # against the exercise's own


def test_judge_never_calls_the_answer():
    exercise = EXERCISES["attention"]
    answer = Counting(attention_with_K_Q)  # raises, then runs on the probe
    observation = observe(exercise, answer)
    calls = answer.calls
    verdicts = {judge(exercise, observation).code for _ in range(3)}
    assert answer.calls == calls and verdicts == {"transposed-scores"}


def test_judge_works_on_an_observation_written_by_hand():
    exercise = EXERCISES["causal_mask"]
    mask = torch.ones(6, 6, dtype=torch.bool)
    observation = Observation("function", "function", "(T)", True, Call(mask.tril(), "Tensor"))
    assert judge(exercise, observation).code == "pass"
    wrong = Observation("function", "function", "(T)", True, Call(mask.triu(), "Tensor"))
    assert judge(exercise, wrong).code == "mask-inverted"
    numpy = Observation("function", "function", "(T)", True, Call(Opaque("ndarray"), "ndarray"))
    assert judge(exercise, numpy).message.startswith("Your function returned a ndarray")


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_check_is_judge_of_observe(exercise_id):
    exercise = EXERCISES[exercise_id]
    for answer in (exercise.reference, *(m.compute for m in exercise.mistakes), np.ones):
        assert check(exercise_id, answer) == judge(exercise, observe(exercise, answer))


# ------------------------------------------------- what observe records, and lets through
def test_sys_exit_in_the_answer_is_recorded_as_its_error():
    def answer(Q, K):
        raise SystemExit(3)

    call = observe(EXERCISES["scores"], answer).call
    assert (call.error.type_name, call.error.message, call.value) == ("SystemExit", "3", None)


class Interruption(BaseException):
    """What a caller's own time limit raises (the grader's OutOfTime is one)."""


@pytest.mark.parametrize("error", [KeyboardInterrupt, Interruption])
def test_an_interruption_goes_through_observe(error):
    def answer(Q, K):
        raise error

    with pytest.raises(error):
        observe(EXERCISES["scores"], answer)


def test_a_recursion_error_records_no_failed_matrix_product():
    class Deep(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return cls.__torch_function__(func, types, args, kwargs)  # never ends

    def answer(Q, K):
        return Q.as_subclass(Deep) @ K.mT  # the recursion runs inside the product

    call = observe(EXERCISES["scores"], answer).call
    assert call.error.type_name == "RecursionError" and call.failed_matmul is None
    assert "calling itself" in check("scores", answer).message


def test_a_named_tuple_is_read_as_a_tuple_and_a_long_one_by_its_type():
    from collections import namedtuple

    Out = namedtuple("Out", "output weights")
    call = observe(EXERCISES["scores"], lambda Q, K: Out(scores(Q, K), None)).call
    assert call.type_name == "Out" and isinstance(call.value, tuple) and len(call.value) == 2
    long = observe(EXERCISES["scores"], lambda Q, K: [scores(Q, K)] * 1000).call
    assert long.value == Opaque("list")


def test_names_and_signatures_are_kept_short():
    Long = type("L" * 5000, (), {})
    call = observe(EXERCISES["scores"], lambda Q, K: Long()).call
    assert call.value == Opaque("L" * 200)

    def answer(Q, K, third="x" * 5000):
        return scores(Q, K)

    assert len(observe(EXERCISES["scores"], answer).signature) == 200


def test_a_tensor_subclass_is_read_without_its_overrides():
    class Lying(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            raise RuntimeError("never call me")

    call = observe(EXERCISES["scores"], lambda Q, K: scores(Q, K).as_subclass(Lying)).call
    assert type(call.value) is torch.Tensor and call.type_name == "Lying"
    assert check("scores", lambda Q, K: scores(Q, K).as_subclass(Lying)).code == "pass"
