"""Exercises and their mistake-aware checkers: ``qkv.check(exercise_id, answer)``.

Each exercise builds its own fixed inputs (float64, every axis a different size), calls the
learner's function and names the first thing that is wrong, from "not attempted" through
classic mistakes (a missing scale, a softmax over the wrong axis, keys from the wrong
sequence, heads reshaped without a transpose, ...) to the largest difference and where it is.

* :mod:`qkv_lib.exercises.framework`             running an answer safely and diagnosing it
* :mod:`qkv_lib.exercises.translate`             exceptions, shapes and differences as advice
* :mod:`qkv_lib.exercises.attention_exercises`   chapters 1 and 4
* :mod:`qkv_lib.exercises.projection_exercises`  chapters 3 and 5
"""

from __future__ import annotations

from typing import Any

from .attention_exercises import ATTENTION, ATTENTION_WEIGHTS, CAUSAL_MASK, SCORES, SOFT_LOOKUP
from .framework import Exercise, Mistake, diagnose
from .projection_exercises import MERGE_HEADS, MULTI_HEAD_ATTENTION, PROJECT_QKV, SPLIT_HEADS
from .result import STRICT_ENV, CheckResult, ExerciseFailed

#: Every exercise of the course, by id, in the order the chapters set them.
EXERCISES: dict[str, Exercise] = {
    exercise.id: exercise
    for exercise in (
        SOFT_LOOKUP,
        PROJECT_QKV,
        SCORES,
        ATTENTION_WEIGHTS,
        ATTENTION,
        CAUSAL_MASK,
        SPLIT_HEADS,
        MERGE_HEADS,
        MULTI_HEAD_ATTENTION,
    )
}


def check(exercise_id: str, answer: Any) -> CheckResult:
    """Check ``answer`` (the learner's function) for the exercise ``exercise_id``.

    Returns a :class:`CheckResult` and never raises because of the answer. With the
    environment variable ``QKV_CHECK_STRICT=1`` a failed check raises
    :class:`ExerciseFailed`, so that running the answer key in CI fails loudly.
    """
    if exercise_id not in EXERCISES:
        raise KeyError(f"unknown exercise {exercise_id!r}; the exercises are {list(EXERCISES)}")
    exercise = EXERCISES[exercise_id]
    try:
        result = diagnose(exercise, answer)
    except Exception as error:  # a fault in the checker must not look like the learner's
        result = CheckResult(
            exercise_id,
            False,
            "checker-error",
            f"The checker itself failed ({type(error).__name__}: {error}); please report this.",
        )
    return result.raise_if_strict()


__all__ = [
    "EXERCISES",
    "STRICT_ENV",
    "CheckResult",
    "Exercise",
    "ExerciseFailed",
    "Mistake",
    "check",
]
