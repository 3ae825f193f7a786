"""How an answer is diagnosed: an ordered list of small steps, and the first that speaks wins.

The order is :data:`STEPS`: not attempted; an exception (named as a known mistake when one
explains it, else translated into advice); an argument changed in place; the wrong type;
correct; a known mistake; the wrong shape; NaN or inf; the largest difference and where.
The exercises (chapters 1, 3, 4 and 5) use float64 inputs whose sizes are all distinct, so a
transposed or wrongly scaled answer changes shapes or values in a recognisable way.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch
from torch import Tensor

from .compare import as_tuple, close, first_match, mistake_on_probe
from .messages import axes, describe, difference, hint, which_output
from .result import CheckResult
from .run import Run, as_tensors, run_answer
from .spec import Exercise, Inputs
from .translate import explain


@dataclass
class Context:
    """One answer being checked; what the steps look at is computed when first needed."""

    exercise: Exercise
    answer: Any

    def result(self, code: str, message: str) -> CheckResult:
        return CheckResult(self.exercise.id, code == "pass", code, message)

    @cached_property
    def inputs(self) -> Inputs:
        return self.exercise.inputs()

    @cached_property
    def run(self) -> Run:
        return run_answer(self.answer, self.inputs)

    @cached_property
    def returned(self) -> tuple[Tensor, ...] | str:
        """The answer's tensors (detached), or why they are not; a str stops :func:`not_tensors`."""
        tensors = as_tensors(self.run.value, len(self.exercise.outputs))
        return tensors if isinstance(tensors, str) else tuple(t.detach() for t in tensors)

    @cached_property
    def expected(self) -> tuple[Tensor, ...]:
        return as_tuple(self.exercise.reference(*self.inputs.fresh()))


Step = Callable[[Context], CheckResult | None]


def not_attempted(c: Context) -> CheckResult | None:
    if c.answer is None:
        return c.result(
            "not-attempted", "The answer is still None: define your function and pass it in."
        )
    return None


def not_a_function(c: Context) -> CheckResult | None:
    if not callable(c.answer):
        what = type(c.answer).__name__
        return c.result(
            "wrong-type", f"Pass the function itself, {c.exercise.signature}, not a {what}."
        )
    return None


def wrong_parameters(c: Context) -> CheckResult | None:
    """The answer cannot be called with the exercise's arguments."""
    try:
        signature = inspect.signature(c.answer)
    except (TypeError, ValueError):  # builtins without a signature: just try calling them
        return None
    arity = c.exercise.arity
    try:
        signature.bind(*range(arity))
    except TypeError:
        return c.result(
            "error",
            f"Your function has the parameters {signature}, but the checker calls it as "
            f"{c.exercise.call} with {arity} argument{'s' if arity > 1 else ''}.",
        )
    return None


def not_implemented(c: Context) -> CheckResult | None:
    if isinstance(c.run.error, NotImplementedError):
        return c.result(
            "not-attempted", "Not attempted yet: replace the `raise NotImplementedError`."
        )
    return None


def mistake_that_raised(c: Context) -> CheckResult | None:
    """An error that a known mistake explains, e.g. ``x @ W.T`` with non-square W's."""
    if c.run.error is None:
        return None
    found = mistake_on_probe(c.exercise, c.answer)
    if found is None and c.run.failed_matmul is not None and c.exercise.failed_matmul:
        found = c.exercise.failed_matmul(c.run.failed_matmul, c.inputs)
    return None if found is None else c.result(found.code, found.message)


def raised(c: Context) -> CheckResult | None:
    run = c.run
    if run.error is None:
        return None
    explained = explain(run.error, run.failed_matmul, c.inputs, run.names_by_id)
    return c.result("error", f"Your function raised an error. {explained}")


def changed_in_place(c: Context) -> CheckResult | None:
    if not c.run.mutated:
        return None
    return c.result(
        "mutates-input",
        f"Your function changed its argument {', '.join(c.run.mutated)} in place (an operation "
        "such as `/=` or a method ending in `_`). Compute a new tensor instead, e.g. `x / 2` "
        "rather than `x /= 2`.",
    )


def returned_nothing(c: Context) -> CheckResult | None:
    if c.run.value is None or c.run.value is Ellipsis:
        return c.result(
            "not-attempted", "Your function returned nothing: finish it and `return` the result."
        )
    return None


def not_tensors(c: Context) -> CheckResult | None:
    if isinstance(c.returned, str):
        return c.result("wrong-type", c.returned[0].upper() + c.returned[1:] + ".")
    return None


def wrong_device_or_dtype(c: Context) -> CheckResult | None:
    for i, t in enumerate(c.returned):
        if t.device.type != "cpu":
            return c.result(
                "wrong-type",
                f"{which_output(c.exercise, i)}is on the {t.device.type} device; "
                "return a CPU tensor.",
            )
        if c.exercise.dtype == "float" and not t.is_floating_point():
            return c.result(
                "wrong-type",
                f"{which_output(c.exercise, i)}has dtype {t.dtype}; it should be a real "
                "floating-point tensor, like the inputs.",
            )
    return None


def not_bool(c: Context) -> CheckResult | None:
    mask = c.returned[0]
    if c.exercise.dtype != "bool" or mask.dtype == torch.bool:
        return None
    additive = mask.is_floating_point() and torch.isneginf(mask).any()
    return c.result(
        "wrong-type",
        f"Return a bool tensor (True = may attend); yours has dtype {mask.dtype}. "
        + (
            "A float mask of 0 and -inf is the additive form of a mask, added to the scores."
            if additive
            else "Convert it with `.bool()`."
        ),
    )


def correct(c: Context) -> CheckResult | None:
    return c.result("pass", "Correct. Well done!") if close(c.returned, c.expected) else None


def known_mistake(c: Context) -> CheckResult | None:
    found = first_match(c.returned, c.exercise.mistakes, c.inputs)
    return None if found is None else c.result(found.code, found.message)


def wrong_shape(c: Context) -> CheckResult | None:
    for i, (got, want) in enumerate(zip(c.returned, c.expected, strict=True)):
        if got.shape != want.shape:
            return c.result(
                "wrong-shape",
                f"{which_output(c.exercise, i)}has shape {describe(got.shape, c.inputs.sizes)}, "
                f"but it should be {axes(c.exercise.outputs[i])} = {tuple(want.shape)}."
                + hint(c.exercise, got, want, c.inputs),
            )
    return None


def not_finite(c: Context) -> CheckResult | None:
    for i, got in enumerate(c.returned):
        if got.is_floating_point() and not torch.isfinite(got).all():
            return c.result(
                "non-finite",
                f"{which_output(c.exercise, i)}contains NaN or inf. Look for a division by zero "
                "or an exp() of a large number.",
            )
    return None


def largest_difference(c: Context) -> CheckResult | None:
    for i, (got, want) in enumerate(zip(c.returned, c.expected, strict=True)):
        if not close((got,), (want,)):
            return c.result(
                "wrong-values",
                which_output(c.exercise, i)
                + difference(got, want, c.exercise.outputs[i])
                + hint(c.exercise, got, want, c.inputs),
            )
    return None


#: The diagnosis, in order: the first step that returns a result decides it.
STEPS: tuple[Step, ...] = (
    not_attempted,
    not_a_function,
    wrong_parameters,
    not_implemented,
    mistake_that_raised,
    raised,
    changed_in_place,
    returned_nothing,
    not_tensors,
    wrong_device_or_dtype,
    not_bool,
    correct,
    known_mistake,
    wrong_shape,
    not_finite,
    largest_difference,
)


def diagnose(exercise: Exercise, answer: Any) -> CheckResult:
    """Check ``answer`` for ``exercise``; never raises for anything the answer does."""
    context = Context(exercise, answer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the learner's warnings are not the checker's message
        for step in STEPS:
            found = step(context)
            if found is not None:
                return found
    return context.result("wrong-values", "The values are not right.")  # pragma: no cover
