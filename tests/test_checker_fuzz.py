"""Whatever an answer is or does, ``qkv.check`` stays in charge: properties tested with Hypothesis.

For every exercise in ``EXERCISES`` (discovered, not listed), Hypothesis generates junk
answers: functions returning wrong types, shapes and dtypes, NaN and inf, tensors huge in
shape (expanded views, so the test stays fast), generators, tuples of the wrong length,
objects and tensor subclasses whose ``__eq__``, ``__bool__``, ``__array__``, ``__len__``,
``__iter__`` (...) raise; functions that change their arguments in place or return them,
raise anything (``SystemExit`` and other ``BaseException`` subclasses included), misuse
torch (``torch.empty(10**13)``), behave differently on the probe inputs; odd callables
(builtins, classes, objects with a ``__signature__`` that raises); and, in a test of their
own, answers that sleep, loop forever or recurse without end. The properties:

* ``check`` returns a :class:`CheckResult` and never raises; its code is a generic one or
  one of the exercise's known mistakes, never ``checker-error``; its message is one short
  plain sentence or two; it passes only with the code ``pass``;
* it returns within the time limit it states (``QKV_CHECK_TIMEOUT``: 2 s here, 0.3 s for
  the slow answers) plus the checker's own work, and a slow answer gets ``too-slow`` with
  "took longer than N s"; it takes no more than a little memory (a huge expanded view is
  neither copied nor scanned);
* it leaves nothing behind: no SIGALRM handler or timer, no torch function mode, the same
  warnings filters;
* judging the observation after a trip through ``torch.save``/``torch.load`` (as the grader
  does) gives exactly the in-process verdict.

A ``KeyboardInterrupt`` (the learner's Ctrl-C) must propagate: example-based tests below.
Profiles (tests/conftest.py): ``HYPOTHESIS_PROFILE=ci`` (the default: fixed examples,
derandomized) or ``dev`` (more examples, random). Counterexamples Hypothesis found are kept
as the example-based tests at the end of the file.
"""

from __future__ import annotations

import io
import math
import os
import resource
import signal
import sys
import time
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qkv_lib as qkv
from qkv_lib.exercises import EXERCISES, GENERIC_CODES, CheckResult, Observation, judge, observe

#: The time limit on answers in this file (QKV_CHECK_TIMEOUT), seconds: no junk answer but
#: the slow ones comes near it, even on a loaded machine...
LIMIT = 2.0
#: ... and the slow ones are stopped sooner, to keep the file fast.
SLOW_LIMIT = 0.3
#: What the checker may take beyond the limit: judging, on a loaded two-core machine.
SLACK = 3.0
#: Memory the checker may add to the process's peak for one answer (the answers here take
#: none: a huge tensor is an expanded view of one element), in kB.
PEAK_KB = 200_000
#: The examples of the active profile (ci: 50, dev: 500): the 135 exercise-and-family tests
#: take a sixth of them each, the slow tests a 25th (ci: 8 and 2 examples).
EXAMPLES = settings.default.max_examples


def fuzz(share: int = 1) -> settings:
    """The active profile with 1/``share`` of its examples (at least 1).

    Function-scoped autouse fixtures of conftest.py (strict mode off, figures closed) are
    fine for every example: they only undo what a test changes.
    """
    return settings(
        max_examples=max(1, EXAMPLES // share),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


IDS = sorted(EXERCISES)


@pytest.fixture(autouse=True, scope="module")
def _short_time_limit():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QKV_CHECK_TIMEOUT", str(LIMIT))
        yield


# ------------------------------------------------------------------ answers and objects
class Junk:
    """An answer that says what it is when Hypothesis prints a counterexample."""

    def __init__(self, description: str, body):
        self.description, self.body = description, body

    def __call__(self, *args):
        return self.body(*args)

    def __repr__(self) -> str:
        return f"Junk({self.description})"


def _raise(*args, **kwargs):
    raise RuntimeError("a hostile method")


HOSTILE_METHODS = (
    "__eq__",
    "__ne__",
    "__bool__",
    "__array__",
    "__len__",
    "__iter__",
    "__getitem__",
    "__hash__",
    "__str__",
    "__repr__",
    "__float__",
    "__index__",
    "__getattr__",
    "__class__",
    "__torch_function__",
)


def hostile(base: type, methods: tuple[str, ...]) -> type:
    """A subclass of ``base`` whose ``methods`` raise (``__class__`` as a property)."""
    namespace = {}
    for name in methods:
        if name == "__class__":
            namespace[name] = property(_raise)
        elif name == "__torch_function__":
            namespace[name] = classmethod(_raise)
        else:
            namespace[name] = _raise
    return type(f"Hostile{base.__name__.title()}", (base,), namespace)


def hostile_object(base: type, methods: tuple[str, ...]):
    cls = hostile(base, methods)
    if base is torch.Tensor:
        return torch.zeros(2, 3).as_subclass(cls)
    if base in (tuple, list):
        return cls([torch.zeros(2), torch.zeros(3)])
    return cls()


class LoudException(Exception):
    def __str__(self):
        raise RuntimeError("cannot print myself")


class HugeMessage(Exception):
    def __str__(self):
        return "x" * 1_000_000


class NotImplementedYet(NotImplementedError):
    pass


class Escape(BaseException):
    pass


EXCEPTIONS = (
    ValueError("bad sizes"),
    RuntimeError("mat1 and mat2 shapes cannot be multiplied"),
    TypeError("unsupported operand"),
    IndexError("index 9 is out of bounds"),
    KeyError(("a", 1)),
    AssertionError(),
    ZeroDivisionError("division by zero"),
    NotImplementedError("Exercise"),
    NotImplementedYet(),
    StopIteration(),
    RecursionError("maximum recursion depth exceeded"),
    MemoryError(),
    OverflowError(),
    SystemExit(0),
    SystemExit("bye"),
    GeneratorExit(),
    Escape("a BaseException of the learner's"),
    LoudException(),
    HugeMessage(),
    ValueError(torch.zeros(3)),
)

DTYPES = (
    torch.float64,
    torch.float32,
    torch.float16,
    torch.bfloat16,
    torch.int64,
    torch.int8,
    torch.uint8,
    torch.bool,
    torch.complex64,
)
HUGE_SHAPES = ((10**9,), (10**5, 10**5), (2, 3, 10**8), (10**4,) * 3)


def _filled(shape, dtype, fill):
    out = torch.zeros(shape, dtype=torch.float64)
    if fill == "ramp" and out.numel():
        out = torch.arange(out.numel(), dtype=torch.float64).reshape(shape) / 7 - 1
    elif fill in ("nan", "inf", "-inf"):
        out = out.fill_(float(fill))
    return out.to(dtype)


@st.composite
def tensors(draw):
    shape = tuple(draw(st.lists(st.integers(0, 5), max_size=4)))
    t = _filled(shape, draw(st.sampled_from(DTYPES)), draw(st.sampled_from(FILLS)))
    kind = draw(st.sampled_from(TENSOR_KINDS))
    if kind == "grad" and t.is_floating_point():
        t = t.requires_grad_()
    elif kind == "meta":
        t = t.to("meta")
    elif kind == "sparse":
        t = t.to_sparse()
    elif kind == "parameter":
        t = torch.nn.Parameter(t, requires_grad=False)
    elif kind == "huge-expanded":
        t = torch.zeros((), dtype=t.dtype).expand(draw(st.sampled_from(HUGE_SHAPES)))
    elif kind == "non-contiguous" and t.dim() >= 2:
        t = t.transpose(0, -1)
    elif kind == "nested":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "the nested tensor API is a prototype"
            t = torch.nested.nested_tensor([torch.zeros(2), torch.zeros(3)])
    return t


FILLS = ("zeros", "ramp", "nan", "inf", "-inf")
TENSOR_KINDS = ("plain", "grad", "meta", "sparse", "parameter", "huge-expanded")
TENSOR_KINDS += ("non-contiguous", "nested")


def _generator():
    yield torch.zeros(2)


ODD_VALUES = st.one_of(
    st.none(),
    st.just(...),
    st.integers(),
    st.floats(),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.just(np.zeros((2, 3))),
    st.just(torch.float32),
    st.just(torch.nn.Linear(2, 2)),
    st.just(torch.Generator()),
    st.just(int),
    st.just(object()),
    st.builds(_generator),
)
#: Objects, tuples, lists and tensors whose methods raise.
HOSTILE = st.builds(
    hostile_object,
    st.sampled_from((object, tuple, list, dict, torch.Tensor)),
    st.lists(st.sampled_from(HOSTILE_METHODS), min_size=1, max_size=4, unique=True).map(tuple),
)

VALUES = st.recursive(
    st.one_of(ODD_VALUES, HOSTILE, tensors()),
    lambda items: st.one_of(
        st.lists(items, max_size=4).map(tuple),
        st.lists(items, max_size=4),
        st.lists(items, min_size=40, max_size=40).map(tuple),  # far too many outputs
    ),
    max_leaves=6,
)


def describe(value) -> str:
    """What ``value`` is, without calling any of its (possibly hostile) methods."""
    kind = type.__dict__["__name__"].__get__(type(value))
    if type(value) in (torch.Tensor, torch.nn.Parameter) and not value.is_nested:
        return f"{kind}{tuple(value.shape)} {value.dtype} {value.device} {value.layout}"[:80]
    if type(value) in (tuple, list):
        return f"{kind}[" + ", ".join(describe(v) for v in value[:4]) + "]"
    return kind if kind not in ("int", "float", "str", "bytes") else f"{kind} {value!r:.20}"


def returns(value):
    return Junk(f"returns {describe(value)}", lambda *args: value)


def _reference(exercise, args):
    return exercise.reference(*(a.clone() if isinstance(a, torch.Tensor) else a for a in args))


def _on_first_tensor(out, change):
    if isinstance(out, tuple):
        return (change(out[0]), *out[1:])
    return change(out)


TRANSFORMS = {
    "float32": lambda t: t.float(),
    "float16": lambda t: t.half(),
    "bfloat16": lambda t: t.bfloat16(),
    "int": lambda t: t.long(),
    "bool": lambda t: t.bool(),
    "complex": lambda t: t.to(torch.complex64),
    "one-nan": lambda t: (
        t.double().flatten().index_fill(0, torch.tensor([0]), math.nan).view(t.shape)
    ),
    "all-inf": lambda t: torch.full_like(t.double(), math.inf),
    "transposed": lambda t: t.transpose(-2, -1) if t.dim() >= 2 else t,
    "flattened": lambda t: t.flatten(),
    "unsqueezed": lambda t: t.unsqueeze(0),
    "sliced": lambda t: t[:-1],
    "noisy": lambda t: t.double() + 1e-3 * torch.arange(t.numel()).reshape(t.shape).sin(),
    "meta": lambda t: t.to("meta"),
    "sparse": lambda t: t.to_sparse(),
    "tracks-grad": lambda t: t.double().requires_grad_(),
    "numpy": lambda t: t.numpy(),
    "tolist": lambda t: t.tolist(),
    "huge-expanded": lambda t: torch.zeros((), dtype=t.dtype).expand(10**9),
}
WHOLE = {
    "as-list": lambda out: list(out) if isinstance(out, tuple) else [out],
    "reversed": lambda out: out[::-1] if isinstance(out, tuple) else (out, out),
    "one-more": lambda out: (*out, None) if isinstance(out, tuple) else (out, None),
    "one-less": lambda out: out[:-1] if isinstance(out, tuple) else (),
    "nested": lambda out: (out,),
}


@st.composite
def transformed(draw, exercise):
    """The reference's own output, spoiled: a dtype, a value, a shape, a factor, a container."""
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(TRANSFORMS)))
        change = TRANSFORMS[name]
    elif draw(st.booleans()):
        c = draw(st.floats(-10, 10, allow_nan=False).filter(lambda c: abs(c) > 1e-2))
        name, change = f"times {c}", lambda t: t * c if t.dtype != torch.bool else t
    else:
        name = draw(st.sampled_from(sorted(WHOLE)))
        whole = WHOLE[name]
        return Junk(name, lambda *args: whole(_reference(exercise, args)))
    return Junk(name, lambda *args: _on_first_tensor(_reference(exercise, args), change))


IN_PLACE = {
    "add_": lambda t: t.add_(1),
    "zero_": lambda t: t.zero_(),
    "fill_nan": lambda t: t.float().fill_(math.nan) if t.is_floating_point() else t.fill_(7),
    "transpose_": lambda t: t.transpose_(0, -1),
    "unsqueeze_": lambda t: t.unsqueeze_(0),
    "resize_": lambda t: t.resize_(0),
    "to-meta": lambda t: setattr(t, "data", torch.empty_like(t, device="meta")),
    "to-float32": lambda t: setattr(t, "data", t.data.float()),
    "requires_grad_": lambda t: t.requires_grad_() if t.is_floating_point() else t,
    "class-changed": lambda t: setattr(t, "__class__", hostile(torch.Tensor, ("__eq__",))),
}


@st.composite
def mutating(draw, exercise):
    """Changes a tensor argument in place, then returns the right result, junk or that argument."""
    positions = [i for i, a in enumerate(exercise.inputs().args) if isinstance(a, torch.Tensor)]
    if not positions:
        return returns(draw(VALUES))
    i = draw(st.sampled_from(positions))
    name = draw(st.sampled_from(sorted(IN_PLACE)))
    then = draw(st.sampled_from(("reference", "the-argument", "all-arguments", "nothing")))

    def body(*args):
        right = _reference(exercise, args)
        IN_PLACE[name](args[i])
        return {"reference": right, "the-argument": args[i], "all-arguments": args}.get(then)

    return Junk(f"{name} on argument {i}, then returns {then}", body)


@st.composite
def raising(draw, exercise):
    """Raises an exception: always, or only on the checker's main inputs (not on the probe)."""
    error = draw(st.sampled_from(EXCEPTIONS))
    main = exercise.inputs().args[0]
    if not draw(st.booleans()):
        return Junk(f"raises {describe(error)}", lambda *args: _throw(error))
    otherwise = draw(st.one_of(VALUES, st.just("reference")))

    def body(*args):
        first = args[0]
        if isinstance(first, torch.Tensor) and first.shape == getattr(main, "shape", None):
            raise error
        return _reference(exercise, args) if otherwise == "reference" else otherwise

    return Junk(f"raises {describe(error)} on the main inputs, else {describe(otherwise)}", body)


def _throw(error):
    raise error


TORCH_MISUSE = {
    "matmul-of-the-first-two": lambda *a: torch.matmul(*a[:2]),
    "first-times-itself": lambda *a: a[0] @ a[0],
    "cat-of-all": lambda *a: torch.cat(a),
    "empty-10**13": lambda *a: torch.empty(10**13),
    "softmax-without-dim": lambda *a: torch.softmax(a[0]),
    "einsum-wrong": lambda *a: torch.einsum("ij,jk->ik", a[0], a[0]),
    "view-of-transpose": lambda *a: a[0].mT.view(-1) if a[0].dim() >= 2 else a[0].view(3, 7),
    "numpy-of-grad": lambda *a: a[0].requires_grad_().numpy(),
}


def _signature_raises():
    class Sly:
        @property
        def __signature__(self):
            raise RuntimeError("no signature")

        def __call__(self, *args):
            return args[0]

    return Sly()


A_DEFAULT = torch.zeros(3)


def _generator_function(*args):
    yield args[0]


ODD_CALLABLES = (
    len,
    max,
    id,
    type,
    str,
    tuple,
    dict,
    torch.matmul,
    torch.stack,
    torch.Tensor.sum,
    torch.nn.Linear,
    np.add,
    _generator_function,
    _signature_raises(),
    lambda *, Q, K: Q,
    lambda **kwargs: kwargs,
    lambda first, second=A_DEFAULT, *rest: first,
)


#: Every family of junk answers except the slow ones, each made for one exercise.
FAMILIES = {
    "returns-odd-values": lambda e: VALUES.map(returns),
    "returns-hostile-objects": lambda e: st.one_of(HOSTILE, st.tuples(tensors(), HOSTILE)).map(
        returns
    ),
    "returns-odd-tensors": lambda e: tensors().map(returns),
    "spoils-the-right-result": transformed,
    "changes-its-arguments": mutating,
    "raises": raising,
    "misuses-torch": lambda e: st.sampled_from(sorted(TORCH_MISUSE)).map(
        lambda k: Junk(k, TORCH_MISUSE[k])
    ),
    "odd-callables": lambda e: st.sampled_from(ODD_CALLABLES),
    "not-a-function": lambda e: st.sampled_from(("not a function", 42, torch.zeros(3), None)),
}


# ------------------------------------------------------------------------- properties
def _state():
    return (
        signal.getsignal(signal.SIGALRM),
        signal.getitimer(signal.ITIMER_REAL),
        torch._C._len_torch_function_stack(),
        list(warnings.filters),
    )


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux


def checked(exercise_id, answer, limit=LIMIT):
    """``qkv.check`` with the properties every call must have; the result and its time."""
    before, peak = _state(), _peak_kb()
    start = time.monotonic()
    result = qkv.check(exercise_id, answer)
    elapsed = time.monotonic() - start
    assert _state() == before, "the check left a signal handler, a timer or a mode behind"
    assert _peak_kb() - peak < PEAK_KB, f"the check took {_peak_kb() - peak} kB more memory"
    assert isinstance(result, CheckResult) and result.exercise_id == exercise_id
    codes = set(GENERIC_CODES) | {m.code for m in EXERCISES[exercise_id].mistakes}
    assert result.code in codes and result.code != "checker-error", result
    assert type(result.message) is str and result.message.strip(), result
    assert len(result.message) < 1500 and "Traceback" not in result.message, result
    assert result.passed == (result.code == "pass")
    assert elapsed < limit + SLACK, f"{elapsed:.1f} s: {result}"
    return result, elapsed


@fuzz(6)
@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("exercise_id", IDS)
@given(data=st.data())
def test_check_survives_any_answer(exercise_id, family, data):
    answer = data.draw(FAMILIES[family](EXERCISES[exercise_id]), label="answer")
    checked(exercise_id, answer)


def _through_a_file(observation: Observation) -> Observation:
    buffer = io.BytesIO()
    torch.save(observation.to_payload(), buffer)
    buffer.seek(0)
    return Observation.from_payload(torch.load(buffer, weights_only=True))


@fuzz(6)
@pytest.mark.parametrize("family", sorted(FAMILIES))
@given(exercise_id=st.sampled_from(IDS), data=st.data())
def test_judging_the_saved_observation_gives_the_check_result(family, exercise_id, data):
    exercise = EXERCISES[exercise_id]
    answer = data.draw(FAMILIES[family](exercise), label="answer")
    result, _ = checked(exercise_id, answer)
    peak = _peak_kb()
    try:
        observation = observe(exercise, answer)
    except Escape:  # observe lets a BaseException through (the grader notes it): check says
        assert result.code == "error" and "Escape" in result.message
        return
    loaded = _through_a_file(observation)
    assert _peak_kb() - peak < PEAK_KB, f"the payload took {_peak_kb() - peak} kB more memory"
    assert judge(exercise, loaded) == result


def _sleep(*args):
    time.sleep(60)


def _busy(*args):
    while True:
        pass


def _busy_catching_exceptions(*args):
    while True:
        try:
            math.log(0)
        except Exception:
            pass


def _recurses(*args):
    return _recurses(*args)


class _EndlessIter(tuple):
    def __iter__(self):
        while True:
            yield torch.zeros(1)


class _EndlessStr(Exception):
    def __str__(self):
        while True:
            pass


def _slow_on_probe_only(exercise):
    main = exercise.inputs().args[0]

    def body(*args):
        if isinstance(args[0], torch.Tensor) and args[0].shape == getattr(main, "shape", None):
            raise ValueError("fails fast on the main inputs")
        while True:
            pass

    return body


SLOW = {
    "sleeps": lambda e: _sleep,
    "loops": lambda e: _busy,
    "loops-catching-Exception": lambda e: _busy_catching_exceptions,
    "recurses": lambda e: _recurses,
    "returns-an-endless-tuple": lambda e: lambda *a: _EndlessIter(),
    "raises-what-never-prints": lambda e: lambda *a: _throw(_EndlessStr()),
    "slow-on-the-probe-only": _slow_on_probe_only,
}


@fuzz(25)
@pytest.mark.parametrize("kind", sorted(SLOW))
@given(exercise_id=st.sampled_from(IDS))
def test_a_slow_answer_is_stopped_within_the_limit_it_states(kind, exercise_id):
    answer = Junk(kind, SLOW[kind](EXERCISES[exercise_id]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QKV_CHECK_TIMEOUT", str(SLOW_LIMIT))
        result, _ = checked(exercise_id, answer, SLOW_LIMIT)
    if kind == "recurses":
        assert result.code == "error" and "RecursionError" in result.message, result
    elif kind == "slow-on-the-probe-only":  # the main call's error is what there is to say
        assert result.code in ("error", "too-slow"), result
    elif kind != "returns-an-endless-tuple":  # a tuple's own items are read, not its __iter__
        assert result.code == "too-slow" and f"took longer than {SLOW_LIMIT:g} s" in result.message


# ---------------------------------------------------- the learner's Ctrl-C interrupts
def _interrupted(*args):
    raise KeyboardInterrupt


def _ctrl_c(*args):
    os.kill(os.getpid(), signal.SIGINT)  # what Jupyter's "interrupt the kernel" sends
    time.sleep(5)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT by os.kill is POSIX")
@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("answer", [_interrupted, _ctrl_c], ids=["raises", "SIGINT"])
def test_a_keyboard_interrupt_propagates_and_leaves_nothing_behind(exercise_id, answer):
    before = _state()
    with pytest.raises(KeyboardInterrupt):
        qkv.check(exercise_id, answer)
    assert _state() == before


# ------------------------------------------- counterexamples Hypothesis found, kept
# Each of these made the checker fail on the code before the fuzzing (see the report in the
# history): an exception escaping ``check``, a ``checker-error``, or gigabytes of memory.
@pytest.mark.parametrize(
    "error, words",
    [
        (SystemExit(0), ("exit()", "stop")),
        (SystemExit("bye"), ("exit()", "stop")),
        (GeneratorExit(), ("GeneratorExit",)),
        (Escape("a BaseException of the learner's"), ("Escape", "BaseException")),
    ],
    ids=["SystemExit-0", "SystemExit-text", "GeneratorExit", "BaseException-subclass"],
)
def test_an_answer_raising_a_base_exception_gets_error(error, words):
    result, _ = checked("attention", Junk("raises", lambda *args: _throw(error)))
    assert result.code == "error" and all(w in result.message for w in words), result


def test_an_answer_whose_signature_raises_is_called_anyway():
    result, _ = checked("scores", _signature_raises())  # it returns Q: (B, T, d_k)
    assert result.code == "wrong-shape", result


HOSTILE_RESULTS = {  # built when the test runs: pytest's ids would call their methods
    "__class__": ("attention", lambda: hostile_object(object, ("__class__",)), "HostileObject"),
    "tuple-__iter__": ("attention", lambda: hostile_object(tuple, ("__iter__",)), "of 2 items"),
    "list-__len__": ("project_qkv", lambda: hostile_object(list, ("__len__",)), "of 2 items"),
    "tensor-__class__": ("scores", lambda: hostile_object(torch.Tensor, ("__class__",)), "(2, 3)"),
    "tensor-__torch_function__": (
        "scores",
        lambda: hostile_object(torch.Tensor, ("__torch_function__",)),
        "(2, 3)",
    ),
    "in-a-tuple": (
        "decode_step",
        lambda: (torch.zeros(2), hostile_object(object, ("__eq__",)), torch.zeros(1)),
        "Item 1",
    ),
}


@pytest.mark.parametrize("label", sorted(HOSTILE_RESULTS))
def test_objects_whose_methods_raise_are_read_without_calling_them(label):
    exercise_id, make, words = HOSTILE_RESULTS[label]
    result, _ = checked(exercise_id, returns(make()))
    code = "wrong-shape" if label.startswith("tensor") else "wrong-type"
    assert result.code == code and words in result.message, result


def test_a_hostile_result_on_the_probe_inputs_is_not_a_checker_error():
    main = EXERCISES["decode_step"].inputs().args[0]

    def decode_step(*args):
        if args[0].shape == main.shape:
            raise ValueError("not on the main inputs")
        return (hostile_object(object, ("__class__",)),)

    result, _ = checked("decode_step", decode_step)
    assert result.code == "error" and "ValueError" in result.message, result


@pytest.mark.parametrize(
    "make, kind",
    [
        (lambda: torch.nested.nested_tensor([torch.zeros(2), torch.zeros(3)]), "nested"),
        (lambda: torch.zeros(2, 3, 5).to_sparse(), "sparse_coo"),
    ],
    ids=["nested", "sparse"],
)
def test_a_nested_or_sparse_result_is_wrong_type(make, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = make()
    result, _ = checked("scores", returns(value))
    assert result.code == "wrong-type" and f"{kind} tensor" in result.message, result


@pytest.mark.parametrize("exercise_id", ["causal_mask", "attention"])
def test_an_expanded_view_of_a_huge_shape_costs_neither_time_nor_memory(exercise_id):
    huge = torch.zeros(()).expand(10**5, 10**5)  # 10**10 elements, one stored
    answer = returns(huge)
    result, elapsed = checked(exercise_id, answer)  # no 1 GB mask of -inf entries
    assert result.code == ("wrong-type" if exercise_id == "causal_mask" else "wrong-shape")
    assert elapsed < 1.0
    payload = observe(EXERCISES[exercise_id], answer).to_payload()  # no 80 GB copy
    assert payload["call"]["value"].untyped_storage().nbytes() <= 8
    loaded = _through_a_file(observe(EXERCISES[exercise_id], answer))
    assert loaded.call.value.shape == huge.shape
    assert judge(EXERCISES[exercise_id], loaded) == result
