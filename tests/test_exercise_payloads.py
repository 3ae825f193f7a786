"""Observations and inputs cross a process boundary as plain data, and judging them is unchanged.

A grader runs the learner's function in another process: it sends ``Inputs.to_payload()``
there and gets ``Observation.to_payload()`` back, both through ``torch.save`` and
``torch.load(weights_only=True)``. Judging the payload must give exactly what ``check`` gives
in-process, and a payload that is not what ``to_payload`` makes must be refused with a
``ValueError`` naming what is wrong.
"""

import copy
import inspect
import io
import math

import pytest
import torch

from qkv_lib.exercises import EXERCISES, Inputs, Observation, check, judge, observe

PLAIN = (str, int, float, bool, type(None))


@pytest.fixture(autouse=True)
def _not_strict(monkeypatch):
    monkeypatch.delenv("QKV_CHECK_STRICT", raising=False)


def saved_and_loaded(payload, path=None):
    """``payload`` through ``torch.save`` and ``torch.load(weights_only=True)``."""
    target = io.BytesIO() if path is None else path
    torch.save(payload, target)
    if path is None:
        target.seek(0)
    return torch.load(target, weights_only=True)


def assert_plain_data(value, where="payload"):
    """Only dicts with str keys, lists, tuples, plain tensors and str/int/float/bool/None."""
    if isinstance(value, dict):
        assert type(value) is dict, where
        for key, item in value.items():
            assert type(key) is str, f"{where} has the key {key!r}"
            assert_plain_data(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        assert type(value) in (list, tuple), where
        for i, item in enumerate(value):
            assert_plain_data(item, f"{where}[{i}]")
    else:
        assert type(value) is torch.Tensor or type(value) in PLAIN, f"{where}: {type(value)}"


# ----------------------------------------------------------------------- the answers
def _tensor_positions(exercise):
    return [i for i, a in enumerate(exercise.inputs().args) if isinstance(a, torch.Tensor)]


def _with_signature_of(base, body):
    def answer(*args):
        return body(*args)

    answer.__signature__ = inspect.signature(base)
    return answer


def _each_tensor(value, f):
    if isinstance(value, (tuple, list)):
        return type(value)(_each_tensor(v, f) for v in value)
    return f(value)


def _off_by_half(t):
    t = t.clone()
    t[-1, -1] = ~t[-1, -1] if t.dtype == torch.bool else t[-1, -1] + 0.5
    return t


def _all_nan(t):
    return torch.full(t.shape, math.nan)


def _view_after_transpose(t):
    return t.mT.view(-1)  # raises: a transposed tensor is not contiguous


def _on_meta(t):
    return torch.empty_like(t, device="meta")


def _raises(*args):
    raise ValueError("learner's bug: bad sizes")


def _not_implemented(*args):
    raise NotImplementedError


def _spoiling(base, spoil):
    """``base`` with ``spoil`` applied to every tensor it returns."""
    return _with_signature_of(base, lambda *args: _each_tensor(base(*args), spoil))


def _mutating(base, i):
    def body(*args):
        result = base(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args])
        args[i].add_(1.0)
        return result

    return _with_signature_of(base, body)


def _transposed_operand(base, i):
    def body(*args):
        args = list(args)
        args[i] = args[i].mT if args[i].dim() >= 2 else args[i]
        return base(*args)

    return _with_signature_of(base, body)


def _altered(base, exercise):
    """Each way tests/test_exercises.py alters an answer, applied to ``base``."""
    altered = {
        "as-is": base,
        "raises": _with_signature_of(base, _raises),
        "returns-None": _with_signature_of(base, lambda *args: None),
        "long-dtype": _spoiling(base, torch.Tensor.long),
        "all-NaN": _spoiling(base, _all_nan),
        "off-by-half": _spoiling(base, _off_by_half),
        "view-after-transpose": _spoiling(base, _view_after_transpose),
    }
    tensors = _tensor_positions(exercise)
    if tensors:
        altered["mutates-first"] = _mutating(base, tensors[0])
        altered["transposed-last-operand"] = _transposed_operand(base, tensors[-1])
    return altered


def _junk(exercise):
    """Answers that are not functions of the right kind, or return odd things."""
    ref = exercise.reference
    junk = {
        "None": None,
        "not-callable": 42,
        "a-tensor": torch.zeros(3),
        "wrong-signature": (lambda a, b: a) if exercise.arity == 1 else (lambda a: a),
        "not-implemented": _with_signature_of(ref, _not_implemented),
        "returns-numpy": _spoiling(ref, torch.Tensor.numpy),
        "returns-list": _with_signature_of(
            ref, lambda *args: list(_each_tensor(ref(*args), torch.clone))
        ),
        "returns-parameter": _with_signature_of(ref, lambda *a: torch.nn.Parameter(torch.ones(2))),
        "returns-on-meta": _spoiling(ref, _on_meta),
        "returns-with-an-opaque-item": _with_signature_of(ref, lambda *a: (torch.zeros(2), "x")),
        "builtin-matmul": torch.matmul,
    }
    tensors = _tensor_positions(exercise)
    if len(tensors) >= 2:
        i, j = tensors[:2]
        junk["argument-@-argument"] = lambda *a: a[i] @ a[j]  # a failed product, with names
    return junk


def _cases():
    for exercise in EXERCISES.values():
        bases = {"reference": exercise.reference}
        bases.update({f"mistake{i}-{m.code}": m.compute for i, m in enumerate(exercise.mistakes)})
        for label, base in bases.items():
            for how, answer in _altered(base, exercise).items():
                yield pytest.param(exercise, answer, id=f"{exercise.id}/{label}/{how}")
        for how, answer in _junk(exercise).items():
            yield pytest.param(exercise, answer, id=f"{exercise.id}/{how}")


CASES = list(_cases())


@pytest.mark.parametrize("exercise, answer", CASES)
def test_judging_a_loaded_payload_equals_checking_in_process(exercise, answer):
    saved = saved_and_loaded(observe(exercise, answer).to_payload())
    assert judge(exercise, Observation.from_payload(saved)) == check(exercise.id, answer)


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))
def test_the_grader_round_trip_through_files_gives_the_check_result(exercise, tmp_path):
    """Inputs out, observation back, both as files read with ``weights_only=True``."""
    probe = exercise.probe() if exercise.probe else None
    sent = {"inputs": exercise.inputs().to_payload(), "probe": probe and probe.to_payload()}
    received = saved_and_loaded(sent, tmp_path / "inputs.pt")
    inputs = Inputs.from_payload(received["inputs"])
    probe = received["probe"] and Inputs.from_payload(received["probe"])
    answers = [exercise.reference, *(m.compute for m in exercise.mistakes), 42, None]
    answers += [_with_signature_of(exercise.reference, _raises)]
    answers += [_mutating(exercise.reference, i) for i in _tensor_positions(exercise)[:1]]
    for n, answer in enumerate(answers):
        payload = observe(exercise, answer, inputs, probe).to_payload()
        assert_plain_data(payload)
        loaded = saved_and_loaded(payload, tmp_path / f"observation{n}.pt")
        assert_plain_data(loaded)
        verdict = judge(exercise, Observation.from_payload(loaded), inputs, probe)
        assert verdict == check(exercise.id, answer), answer


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))
def test_inputs_round_trip(exercise):
    inputs = exercise.inputs()
    loaded = Inputs.from_payload(saved_and_loaded(inputs.to_payload()))
    assert loaded.names == inputs.names and loaded.sizes == inputs.sizes
    for a, b in zip(loaded.args, inputs.args, strict=True):
        assert type(a) is type(b)
        assert torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b


def test_a_returned_view_is_saved_without_the_tensor_it_views():
    big = torch.zeros(1000, dtype=torch.float64)
    payload = observe(EXERCISES["causal_mask"], lambda T: big[:T]).to_payload()
    assert payload["call"]["value"].untyped_storage().nbytes() == 6 * 8


# ------------------------------------------------------------------- malformed payloads
def _valid():
    """A payload with every part present: a call that raised in a product, and a probe."""
    exercise = EXERCISES["attention"]
    payload = observe(exercise, lambda Q, K, V: torch.softmax(K @ Q.mT / 8**0.5, -1) @ V)
    payload = payload.to_payload()
    assert payload["call"]["failed_matmul"] is not None and payload["probe"] is not None
    return payload


def _set(path, value):
    def spoil(payload):
        *parents, last = path
        target = payload
        for key in parents:
            target = target[key]
        target[last] = value
        return payload

    return spoil


def _drop(*path):
    def spoil(payload):
        *parents, last = path
        target = payload
        for key in parents:
            target = target[key]
        del target[last]
        return payload

    return spoil


def _both(first, second):
    return lambda payload: second(first(payload))


def _no_error(payload):
    payload["call"].update(error=None, failed_matmul=None)
    return payload


class Subclassed(torch.Tensor):
    pass


MALFORMED = [
    ("not-a-dict", lambda p: [p], "must be a dict"),
    ("None", lambda p: None, "must be a dict"),
    ("unknown-key", _set(("extra",), 1), "unknown keys"),
    ("missing-key", _drop("binds"), "lacks the keys"),
    ("non-str-key", _set((0,), 1), "unknown keys"),
    ("kind-unknown", _set(("kind",), "lambda"), "observation['kind']"),
    ("kind-not-str", _set(("kind",), 1), "observation['kind']"),
    ("binds-int", _set(("binds",), 1), "observation['binds'] must be a bool"),
    ("signature-bytes", _set(("signature",), b"(Q, K, V)"), "observation['signature']"),
    ("type-name-int", _set(("type_name",), 3), "observation['type_name']"),
    ("call-a-list", _set(("call",), []), "observation['call'] must be a dict"),
    ("call-unknown-key", _set(("call", "code"), "pass"), "unknown keys"),
    ("probe-value-int", _set(("probe", "value"), 3), "must be a torch.Tensor, not a int"),
    ("probe-value-str", _set(("probe", "value"), "tensor"), "must be a torch.Tensor"),
    (
        "probe-value-parameter",
        _set(("probe", "value"), torch.nn.Parameter(torch.ones(2))),
        "not a tensor subclass Parameter",
    ),
    (
        "probe-value-subclass",
        _set(("probe", "value"), torch.ones(2).as_subclass(Subclassed)),
        "not a tensor subclass Subclassed",
    ),
    ("probe-value-nested-list", _set(("probe", "value"), [[torch.ones(2)]]), "['value'][0]"),
    ("opaque-not-str", _set(("probe", "value"), {"opaque": 3}), "['opaque'] must be a str"),
    ("opaque-extra-key", _set(("probe", "value"), {"opaque": "x", "y": 1}), "unknown keys"),
    ("error-not-dict", _set(("call", "error"), "RuntimeError"), "must be a dict"),
    ("message-too-long", _set(("call", "error", "message"), "x" * 501), "at most 500"),
    ("not-implemented-str", _set(("call", "error", "not_implemented"), "no"), "must be a bool"),
    ("mutated-str", _set(("call", "mutated"), "Q"), "must be a list or a tuple"),
    ("mutated-int-item", _set(("call", "mutated"), [1]), "['mutated'][0] must be a str"),
    ("shape-negative", _set(("call", "failed_matmul", "left"), [2, -3]), "at least 0"),
    ("shape-float", _set(("call", "failed_matmul", "left"), [2.0, 3]), "must be an int"),
    ("shape-bool", _set(("call", "failed_matmul", "right"), [True]), "must be an int"),
    ("shape-a-tensor", _set(("call", "failed_matmul", "right"), torch.ones(2)), "list or a tuple"),
    ("name-int", _set(("call", "failed_matmul", "left_name"), 0), "must be a str"),
    (
        "probe-value-sparse",
        _set(("probe", "value"), torch.eye(2).to_sparse()),
        "must be a dense tensor, not a sparse_coo one",
    ),
    ("timed-out-str", _set(("call", "timed_out"), "10"), "must be a number, not str"),
    ("timed-out-bool", _set(("call", "timed_out"), True), "must be a number, not bool"),
    ("timed-out-zero", _set(("call", "timed_out"), 0.0), "finite number of seconds above 0"),
    ("timed-out-nan", _set(("call", "timed_out"), float("nan")), "finite number of seconds"),
    ("timed-out-and-raised", _set(("call", "timed_out"), 10.0), "ran out of time but also"),
    ("call-without-timed-out", _drop("call", "timed_out"), "lacks the keys ['timed_out']"),
    ("matmul-without-error", _set(("call", "error"), None), "no error"),
    ("value-and-error", _set(("call", "value"), torch.ones(2)), "both raised"),
    ("probe-after-no-error", _no_error, "its call did not raise"),
    ("call-missing-for-a-function", _set(("call",), None), "lacks the call"),
    ("call-for-none", _set(("kind",), "none"), "kind 'none' has a signature"),
    (
        "not-binding-without-signature",
        _both(_set(("binds",), False), _set(("signature",), None)),
        "signature is missing",
    ),
    ("not-binding-with-a-call", _set(("binds",), False), "with binds=False has a call"),
    (
        "probe-after-not-implemented",
        _set(("call", "error", "not_implemented"), True),
        "after a NotImplementedError",
    ),
]


@pytest.mark.parametrize(
    "spoil, match", [pytest.param(s, m, id=label) for label, s, m in MALFORMED]
)
def test_a_malformed_observation_payload_is_refused(spoil, match):
    payload = spoil(copy.deepcopy(_valid()))
    with pytest.raises(ValueError) as refused:
        Observation.from_payload(payload)
    assert match in str(refused.value)


def test_the_valid_payload_of_the_malformed_tests_is_accepted():
    observation = Observation.from_payload(saved_and_loaded(_valid()))
    assert judge(EXERCISES["attention"], observation).code == "transposed-scores"


def test_a_probe_after_a_call_that_did_not_raise_is_refused():
    payload = observe(EXERCISES["attention"], EXERCISES["attention"].reference).to_payload()
    payload["probe"] = copy.deepcopy(payload["call"])
    with pytest.raises(ValueError, match="did not raise"):
        Observation.from_payload(payload)


def _inputs():
    return EXERCISES["multi_head_attention"].inputs().to_payload()


MALFORMED_INPUTS = [
    ("not-a-dict", lambda p: list(p.values()), "must be a dict"),
    ("unknown-key", _set(("kwargs",), {}), "unknown keys"),
    ("missing-sizes", _drop("sizes"), "lacks the keys"),
    ("args-a-dict", _set(("args",), {}), "must be a list or a tuple"),
    ("arg-a-str", _set(("args", 6), "4"), "inputs['args'][6]"),
    ("arg-a-bool", _set(("args", 6), True), "inputs['args'][6]"),
    ("arg-a-parameter", _set(("args", 0), torch.nn.Parameter(torch.ones(2))), "subclass"),
    ("arg-a-list", _set(("args", 0), [1.0, 2.0]), "must be a torch.Tensor, an int or a float"),
    ("name-an-int", _set(("names", 0), 0), "inputs['names'][0] must be a str"),
    ("names-too-few", lambda p: {**p, "names": p["names"][:-1]}, "7 args but 6 names"),
    ("names-repeated", _set(("names", 1), "x_q"), "repeats a name"),
    ("sizes-a-list", _set(("sizes",), [2, 3]), "inputs['sizes'] must be a dict"),
    ("size-a-float", _set(("sizes", "B"), 2.0), "must be an int"),
    ("size-a-bool", _set(("sizes", "B"), True), "must be an int"),
    ("size-negative", _set(("sizes", "B"), -2), "at least 0"),
    ("size-key-int", _set(("sizes", 3), 3), "a key of inputs"),
]


@pytest.mark.parametrize(
    "spoil, match", [pytest.param(s, m, id=label) for label, s, m in MALFORMED_INPUTS]
)
def test_a_malformed_inputs_payload_is_refused(spoil, match):
    payload = spoil(copy.deepcopy(_inputs()))
    with pytest.raises(ValueError) as refused:
        Inputs.from_payload(payload)
    assert match in str(refused.value)
