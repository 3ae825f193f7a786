"""How an answer is diagnosed: run it safely, then name the first thing that is wrong.

The order (first match wins): not attempted; an exception (translated into advice); an
argument changed in place; the wrong type; correct; a known mistake; the wrong shape;
NaN or inf; and finally the largest difference and where it is. The inputs are fixed
float64 tensors whose sizes are all distinct, so a transposed or wrongly scaled answer
changes shapes or values in a way that can be recognised.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from . import translate
from .result import CheckResult

ATOL, RTOL = 1e-6, 1e-4  # loose enough for float32 arithmetic, far tighter than any mistake


@dataclass(frozen=True)
class Mistake:
    """A classic mistake: ``compute`` makes the wrong answer it produces from the same inputs."""

    code: str
    message: str
    compute: Callable[..., Any]


@dataclass(frozen=True)
class Inputs:
    """The arguments the checker passes, their names, and the named sizes of their axes."""

    args: tuple
    names: tuple[str, ...]
    sizes: dict[str, int]  # axis name -> size, all sizes distinct, e.g. {"B": 2, "L": 3}

    def fresh(self) -> tuple:
        """Copies of the arguments, so an answer that mutates them cannot spoil later runs."""
        return tuple(a.clone() if isinstance(a, Tensor) else a for a in self.args)


@dataclass(frozen=True)
class Exercise:
    """One exercise: its catalogue entry plus everything the checker needs to diagnose answers.

    ``outputs`` names the axes of each returned tensor, e.g. ``(("B", "L", "S"),)`` for one
    tensor or three entries for ``project_qkv``'s ``(Q, K, V)``. ``probe`` is a second set of
    inputs with coinciding sizes, used only when an answer raises on the main inputs: some
    mistakes (``x @ W.T``) only run when a matrix is square.
    """

    id: str
    chapter: int
    title: str
    points: int
    minutes: int
    difficulty: str
    signature: str
    reference: Callable[..., Any] = field(repr=False)
    inputs: Callable[[], Inputs] = field(repr=False)
    outputs: tuple[tuple[str, ...], ...] = field(repr=False)
    mistakes: tuple[Mistake, ...] = field(default=(), repr=False)
    probe: Callable[[], Inputs] | None = field(default=None, repr=False)
    dtype: str = field(default="float", repr=False)  # "float" or "bool"
    hint: Callable[[Tensor, Tensor, Inputs], str] | None = field(default=None, repr=False)
    #: Names a mistake from the matrix product that failed, when no probe can run it.
    failed_matmul: Callable[[translate.MatmulRecord, Inputs], Mistake | None] | None = field(
        default=None, repr=False
    )

    @property
    def call(self) -> str:
        """How the checker calls the answer, e.g. ``"fn(Q, K)"``."""
        return self.signature.split("->")[0].strip()

    @property
    def arity(self) -> int:
        return self.call.count(",") + 1


@dataclass
class Run:
    value: Any = None
    error: BaseException | None = None
    mutated: tuple[str, ...] = ()
    failed_matmul: translate.MatmulRecord | None = None
    names_by_id: dict[int, str] = field(default_factory=dict)  # the arguments actually passed


def run_answer(answer: Callable[..., Any], inputs: Inputs) -> Run:
    """Call ``answer`` on fresh copies of the inputs; record exceptions and in-place changes."""
    args = inputs.fresh()
    before = inputs.fresh()
    watch = translate.MatmulWatch()
    result = Run(names_by_id={id(a): n for n, a in zip(inputs.names, args, strict=True)})
    try:
        with warnings.catch_warnings(), watch:
            warnings.simplefilter("ignore")
            result.value = answer(*args)
    except Exception as error:  # the learner's code may raise anything
        result.error = error
        result.failed_matmul = watch.pending
    result.mutated = tuple(
        name
        for name, old, new in zip(inputs.names, before, args, strict=True)
        if isinstance(old, Tensor) and not _same(old, new)
    )
    return result


def _same(a: Tensor, b: Tensor) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)


def close(answer: Sequence[Tensor], expected: Sequence[Tensor]) -> bool:
    """True when every tensor has the expected shape and values (dtype-tolerant)."""
    if len(answer) != len(expected):
        return False
    for a, e in zip(answer, expected, strict=True):
        if a.shape != e.shape:
            return False
        if e.dtype == torch.bool or a.dtype == torch.bool:
            if not torch.equal(a.bool(), e.bool()):
                return False
        elif not torch.allclose(a.double(), e.double(), rtol=RTOL, atol=ATOL):
            return False
    return True


def as_tensors(value: Any, n: int) -> tuple[Tensor, ...] | str:
    """The answer's return value as ``n`` tensors, or a message saying why it is not."""
    what = type(value).__name__
    if n == 1:
        if isinstance(value, Tensor):
            return (value,)
        if isinstance(value, (tuple, list)):
            return (
                f"your function returned a {what} of {len(value)} items; return a single tensor "
                "instead"
            )
        return f"your function returned a {what}; it should return a torch.Tensor"
    if not isinstance(value, (tuple, list)) or len(value) != n:
        size = f" of {len(value)} items" if isinstance(value, (tuple, list)) else ""
        return f"your function returned a {what}{size}; it should return {n} tensors, as a tuple"
    for i, item in enumerate(value):
        if not isinstance(item, Tensor):
            return (
                f"item {i} of what your function returned is a {type(item).__name__}, not a tensor"
            )
    return tuple(value)


def diagnose(exercise: Exercise, answer: Any) -> CheckResult:
    """Check ``answer`` for ``exercise``; never raises for anything the answer does."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the learner's warnings are not the checker's message
        return _diagnose(exercise, answer)


def _diagnose(exercise: Exercise, answer: Any) -> CheckResult:

    def result(code: str, message: str) -> CheckResult:
        return CheckResult(exercise.id, code == "pass", code, message)

    if answer is None:
        return result(
            "not-attempted", "The answer is still None: define your function and pass it in."
        )
    if not callable(answer):
        return result(
            "wrong-type",
            f"Pass the function itself, {exercise.signature}, not a {type(answer).__name__}.",
        )
    problem = _signature_problem(answer, exercise)
    if problem:
        return result("error", problem)

    inputs = exercise.inputs()
    run = run_answer(answer, inputs)
    if run.error is not None:
        if isinstance(run.error, NotImplementedError):
            return result(
                "not-attempted", "Not attempted yet: replace the `raise NotImplementedError`."
            )
        found = _diagnose_by_probe(exercise, answer)
        if found is None and run.failed_matmul is not None and exercise.failed_matmul:
            found = exercise.failed_matmul(run.failed_matmul, inputs)
        if found is not None:  # the mistake explains the error too, e.g. x @ W.T
            return result(found.code, found.message)
        explained = translate.explain(run.error, run.failed_matmul, inputs, run.names_by_id)
        return result("error", f"Your function raised an error. {explained}")
    if run.mutated:
        names = ", ".join(run.mutated)
        return result(
            "mutates-input",
            f"Your function changed its argument {names} in place (an operation such as `/=` or "
            "a method ending in `_`). Compute a new tensor instead, e.g. `x / 2` rather than "
            "`x /= 2`.",
        )
    if run.value is None or run.value is Ellipsis:
        return result(
            "not-attempted",
            "Your function returned nothing: finish it and `return` the result.",
        )
    tensors = as_tensors(run.value, len(exercise.outputs))
    if isinstance(tensors, str):
        return result("wrong-type", tensors[0].upper() + tensors[1:] + ".")
    tensors = tuple(t.detach() for t in tensors)
    for i, t in enumerate(tensors):
        if t.device.type != "cpu":
            return result(
                "wrong-type",
                f"{_which_output(exercise, i)}is on the {t.device.type} device; "
                "return a CPU tensor.",
            )
        if exercise.dtype == "float" and not t.is_floating_point():
            return result(
                "wrong-type",
                f"{_which_output(exercise, i)}has dtype {t.dtype}; it should be a real "
                "floating-point tensor, like the inputs.",
            )
    if exercise.dtype == "bool" and tensors[0].dtype != torch.bool:
        return result(
            "wrong-type",
            f"Return a bool tensor (True = may attend); yours has dtype {tensors[0].dtype}. "
            + (
                "A float mask of 0 and -inf is the additive form of a mask, added to the scores."
                if tensors[0].is_floating_point() and torch.isneginf(tensors[0]).any()
                else "Convert it with `.bool()`."
            ),
        )
    expected = _as_tuple(exercise.reference(*inputs.fresh()))
    if close(tensors, expected):
        return result("pass", "Correct. Well done!")
    for mistake in exercise.mistakes:
        if _matches(tensors, mistake, inputs):
            return result(mistake.code, mistake.message)
    for i, (got, want) in enumerate(zip(tensors, expected, strict=True)):
        if got.shape != want.shape:
            which = _which_output(exercise, i)
            return result(
                "wrong-shape",
                f"{which}has shape {translate.describe(got.shape, inputs.sizes)}, but it should be "
                f"{translate.axes(exercise.outputs[i])} = {tuple(want.shape)}."
                + _hint(exercise, got, want, inputs),
            )
    for i, got in enumerate(tensors):
        if got.is_floating_point() and not torch.isfinite(got).all():
            return result(
                "non-finite",
                f"{_which_output(exercise, i)}contains NaN or inf. Look for a division by zero or "
                "an exp() of a large number.",
            )
    for i, (got, want) in enumerate(zip(tensors, expected, strict=True)):
        if not close((got,), (want,)):
            return result(
                "wrong-values",
                _which_output(exercise, i)
                + translate.difference(got, want, exercise.outputs[i])
                + _hint(exercise, got, want, inputs),
            )
    return result("wrong-values", "The values are not right.")  # pragma: no cover


def _as_tuple(value: Any) -> tuple[Tensor, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _which_output(exercise: Exercise, i: int) -> str:
    if len(exercise.outputs) == 1:
        return "Your result "
    names = exercise.signature.split("->")[-1].strip(" ()").split(",")
    name = names[i].strip() if len(names) == len(exercise.outputs) else f"item {i}"
    return f"Your {name} "


def _hint(exercise: Exercise, got: Tensor, want: Tensor, inputs: Inputs) -> str:
    if exercise.hint is None:
        return ""
    text = exercise.hint(got, want, inputs)
    return f" {text}" if text else ""


def _signature_problem(answer: Callable[..., Any], exercise: Exercise) -> str | None:
    """A message when ``answer`` cannot be called with the exercise's arguments."""
    try:
        signature = inspect.signature(answer)
    except (TypeError, ValueError):  # builtins without a signature: just try calling them
        return None
    try:
        signature.bind(*range(exercise.arity))
    except TypeError:
        return (
            f"Your function has the parameters {signature}, but the checker calls it as "
            f"{exercise.call} with {exercise.arity} argument"
            f"{'s' if exercise.arity > 1 else ''}."
        )
    return None


def _diagnose_by_probe(exercise: Exercise, answer: Callable[..., Any]) -> Mistake | None:
    """Run an answer that raised on inputs where some mistakes run; name the one it matches."""
    if exercise.probe is None:
        return None
    probe = exercise.probe()
    run = run_answer(answer, probe)
    if run.error is not None or run.mutated:
        return None
    tensors = as_tensors(run.value, len(exercise.outputs))
    if isinstance(tensors, str):
        return None
    for mistake in exercise.mistakes:
        if _matches(tensors, mistake, probe):
            return mistake
    return None


def _matches(tensors: tuple[Tensor, ...], mistake: Mistake, inputs: Inputs) -> bool:
    """True when the answer equals what ``mistake`` computes (some mistakes cannot run here)."""
    try:
        wrong = _as_tuple(mistake.compute(*inputs.fresh()))
    except RuntimeError:  # e.g. K Qᵀ @ V needs L == S: only the probe inputs can show it
        return False
    return close(tensors, wrong)
