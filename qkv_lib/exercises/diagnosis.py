"""Judging an observed answer: an ordered list of small steps, and the first that speaks wins.

The order is :data:`STEPS`: not attempted; out of time; an exception (named as a known
mistake when one explains it, else translated into advice); an argument changed in place;
the wrong type; correct; a known mistake; the wrong shape; NaN or inf; right up to a scale
(:mod:`~qkv_lib.exercises.scale`); the largest difference and where. The steps read only an
:class:`~qkv_lib.exercises.observation.Observation` and the exercise's own references and
mistakes: they never call the learner's function, so a grader can judge in its own process
what the learner's process observed. The exercises (chapters 1 to 8) use float64 inputs
whose sizes are all distinct, so a transposed or wrongly scaled answer changes shapes or
values in a recognisable way.
"""

from __future__ import annotations

import warnings

import torch

from .._threads import one_thread
from .compare import close, first_match, mistake_on_probe
from .context import Context, Step
from .deadline import TIMEOUT_ENV
from .inputs import Inputs
from .messages import axes, describe, difference, hint, which_output
from .observation import PAYLOAD_ELEMENTS, Observation
from .result import CheckResult
from .scale import wrong_scale
from .spec import Exercise
from .translate import explain


def not_attempted(c: Context) -> CheckResult | None:
    if c.observation.kind == "none":
        return c.result(
            "not-attempted", "The answer is still None: define your function and pass it in."
        )
    return None


def not_a_function(c: Context) -> CheckResult | None:
    if c.observation.kind == "not-callable":
        what = c.observation.type_name
        return c.result(
            "wrong-type", f"Pass the function itself, {c.exercise.signature}, not a {what}."
        )
    return None


def wrong_parameters(c: Context) -> CheckResult | None:
    """The answer cannot be called with the exercise's arguments."""
    if c.observation.binds:
        return None
    arity = c.exercise.arity
    return c.result(
        "error",
        f"Your function has the parameters {c.observation.signature}, but the checker calls it "
        f"as {c.exercise.call} with {arity} argument{'s' if arity > 1 else ''}.",
    )


def not_implemented(c: Context) -> CheckResult | None:
    if c.call.error is not None and c.call.error.not_implemented:
        return c.result(
            "not-attempted", "Not attempted yet: replace the `raise NotImplementedError`."
        )
    return None


def too_slow(c: Context) -> CheckResult | None:
    seconds = c.call.timed_out
    if seconds is None:
        return None
    return c.result(
        "too-slow",
        f"Your function took longer than {seconds:g} s on the checker's small inputs and was "
        "stopped. Look for a loop that never ends, or work that grows far faster than the "
        f"inputs. (The environment variable {TIMEOUT_ENV} sets the limit.)",
    )


def mistake_that_raised(c: Context) -> CheckResult | None:
    """An error that a known mistake explains, e.g. ``x @ W.T`` with non-square W's."""
    if c.call.error is None:
        return None
    found = None
    if c.observation.probe is not None and c.probe is not None:
        found = mistake_on_probe(c.exercise, c.observation.probe, c.probe)
    record = c.call.failed_matmul
    if found is None and record is not None and c.exercise.failed_matmul:
        found = c.exercise.failed_matmul(record, c.inputs)
    return None if found is None else c.result(found.code, found.message)


def raised(c: Context) -> CheckResult | None:
    if c.call.error is None:
        return None
    explained = explain(c.call.error, c.call.failed_matmul, c.inputs)
    return c.result("error", f"Your function raised an error. {explained}")


def changed_in_place(c: Context) -> CheckResult | None:
    if not c.call.mutated:
        return None
    return c.result(
        "mutates-input",
        f"Your function changed its argument {', '.join(c.call.mutated)} in place (an operation "
        "such as `/=` or a method ending in `_`). Compute a new tensor instead, e.g. `x / 2` "
        "rather than `x /= 2`.",
    )


def returned_nothing(c: Context) -> CheckResult | None:
    if c.call.value is None:  # None, or ... (the body of an unfinished function)
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
    small = mask.numel() <= PAYLOAD_ELEMENTS  # e.g. not torch.zeros(1).expand(10**9)
    additive = mask.is_floating_point() and small and bool(torch.isneginf(mask).any())
    return c.result(
        "wrong-type",
        f"Return a bool tensor (True = {c.exercise.true_means}); yours has dtype {mask.dtype}. "
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
                "or an exp() of a large number." + hint(c.exercise, got, c.expected[i], c.inputs),
            )
    return None


def scaled(c: Context) -> CheckResult | None:
    if c.exercise.dtype != "float":
        return None
    message = wrong_scale(c.exercise, c.returned, c.expected, c.inputs)
    return None if message is None else c.result("wrong-scale", message)


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
    too_slow,
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
    scaled,
    largest_difference,
)


def judge(
    exercise: Exercise,
    observation: Observation,
    inputs: Inputs | None = None,
    probe: Inputs | None = None,
) -> CheckResult:
    """Name what is wrong with the observed answer, from the observation alone.

    ``inputs`` and ``probe`` are the inputs the answer was observed on (default: the
    exercise's own). Never calls the answer, and never raises for anything it did.
    """
    context = Context(exercise, observation, inputs, probe)
    # The checker's tensors are tiny: waking torch's thread pool for each of the hundreds of
    # operations a scale fit makes costs far more than it saves (100x on a busy machine).
    with one_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's warnings are not the checker's message
        for step in STEPS:
            found = step(context)
            if found is not None:
                return found
    return context.result("wrong-values", "The values are not right.")  # pragma: no cover
