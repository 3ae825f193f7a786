"""Exercises and their mistake-aware checkers: ``qkv.check(exercise_id, answer)``.

Each exercise builds its own fixed inputs (float64, every axis a different size), calls the
learner's function and names the first thing that is wrong, from "not attempted" through
classic mistakes (a missing scale, a softmax over the wrong axis, keys from the wrong
sequence, heads reshaped without a transpose, ...) to the largest difference and where it is.

Checking is two steps, so that a grader can run them in different processes:
``check(id, answer)`` is ``judge(exercise, observe(exercise, answer))``. :func:`observe` is
the only code that calls the answer; it records what the answer did as an
:class:`Observation` of plain data. :func:`judge` names the mistake from that observation
alone. ``Observation.to_payload()`` and ``Inputs.to_payload()`` give dicts that
``torch.load(path, weights_only=True)`` reads back; their ``from_payload`` refuses anything
else with a ``ValueError``.

* :mod:`~qkv_lib.exercises.spec`                  what an exercise is: ``Exercise``, ``Mistake``
* :mod:`~qkv_lib.exercises.inputs`                the arguments passed to an answer: ``Inputs``
* :mod:`~qkv_lib.exercises.observer`              ``observe``: running an answer safely
* :mod:`~qkv_lib.exercises.deadline`              the time limit on an answer
* :mod:`~qkv_lib.exercises.observation`           ``Observation``: what the answer did, as data
* :mod:`~qkv_lib.exercises.payload`               checking a payload from another process
* :mod:`~qkv_lib.exercises.diagnosis`             ``judge``: the ordered steps that name the mistake
* :mod:`~qkv_lib.exercises.context`               what those steps look at
* :mod:`~qkv_lib.exercises.compare`               when an output counts as the expected one
* :mod:`~qkv_lib.exercises.scale`                 an output right up to a scale, and which
* :mod:`~qkv_lib.exercises.messages`              shapes with named axes, differences, hints
* :mod:`~qkv_lib.exercises.translate`             exceptions as advice
* :mod:`~qkv_lib.exercises.result`                ``CheckResult`` and strict mode
* :mod:`~qkv_lib.exercises.codes`                 what every generic result code means
* :mod:`~qkv_lib.exercises.lookup_exercises`      chapter 1
* :mod:`~qkv_lib.exercises.source_exercises`      chapter 2
* :mod:`~qkv_lib.exercises.projection_exercises`  chapter 3
* :mod:`~qkv_lib.exercises.attention_exercises`   chapter 4
* :mod:`~qkv_lib.exercises.mask_exercises`        chapter 4
* :mod:`~qkv_lib.exercises.head_exercises`        chapter 5
* :mod:`~qkv_lib.exercises.padding_exercises`     chapter 6
* :mod:`~qkv_lib.exercises.training_exercises`    chapter 7
* :mod:`~qkv_lib.exercises.modern_exercises`      chapter 8
"""

from __future__ import annotations

from typing import Any

from .attention_exercises import ATTENTION, ATTENTION_WEIGHTS, CAUSAL_MASK, SCORES
from .codes import GENERIC_CODES
from .deadline import TimeUp
from .diagnosis import judge
from .head_exercises import MERGE_HEADS, MULTI_HEAD_ATTENTION, SPLIT_HEADS
from .inputs import Inputs
from .lookup_exercises import SOFT_LOOKUP
from .mask_exercises import MASKED_ATTENTION
from .modern_exercises import DECODE_STEP, GROUPED_QUERY_ATTENTION
from .observation import Observation
from .observer import observe
from .padding_exercises import MHA_PADDING_MASK
from .projection_exercises import PROJECT_QKV
from .result import STRICT_ENV, CheckResult, ExerciseFailed
from .source_exercises import CROSS_ATTENTION_QKV
from .spec import Exercise, Mistake
from .training_exercises import MATCHING_RULE
from .translate import base_exception

#: Every exercise of the course, by id, in the order the chapters set them.
EXERCISES: dict[str, Exercise] = {
    exercise.id: exercise
    for exercise in (
        SOFT_LOOKUP,
        CROSS_ATTENTION_QKV,
        PROJECT_QKV,
        SCORES,
        ATTENTION_WEIGHTS,
        ATTENTION,
        CAUSAL_MASK,
        MASKED_ATTENTION,
        SPLIT_HEADS,
        MERGE_HEADS,
        MULTI_HEAD_ATTENTION,
        MHA_PADDING_MASK,
        MATCHING_RULE,
        DECODE_STEP,
        GROUPED_QUERY_ATTENTION,
    )
}


def check(exercise_id: str, answer: Any) -> CheckResult:
    """Check ``answer`` (the learner's function) for the exercise ``exercise_id``.

    Returns a :class:`CheckResult` and never raises because of the answer, except for a
    ``KeyboardInterrupt``: the learner's Ctrl-C interrupts. The answer runs for at most
    ``QKV_CHECK_TIMEOUT`` seconds (default 10; see :mod:`~qkv_lib.exercises.deadline`).
    With the environment variable ``QKV_CHECK_STRICT=1`` a failed check raises
    :class:`ExerciseFailed`, so that running the answer key in CI fails loudly.
    """
    if not isinstance(exercise_id, str):
        raise TypeError(
            f"exercise_id must be a str such as 'attention', got {type(exercise_id).__name__}"
        )
    if exercise_id not in EXERCISES:
        raise KeyError(f"unknown exercise {exercise_id!r}; the exercises are {list(EXERCISES)}")
    exercise = EXERCISES[exercise_id]
    try:
        result = judge(exercise, observe(exercise, answer))
    except (KeyboardInterrupt, TimeUp):  # Ctrl-C, or the time limit of a check around this
        raise
    except Exception as error:  # a fault in the checker must not look like the learner's
        result = CheckResult(
            exercise_id,
            False,
            "checker-error",
            f"The checker itself failed ({type(error).__name__}: {error}); please report this.",
        )
    except BaseException as error:  # observe lets these through: the answer raised one
        result = CheckResult(exercise_id, False, "error", base_exception(error))
    return result.raise_if_strict()


__all__ = [
    "EXERCISES",
    "GENERIC_CODES",
    "STRICT_ENV",
    "CheckResult",
    "Exercise",
    "ExerciseFailed",
    "Inputs",
    "Mistake",
    "Observation",
    "check",
    "judge",
    "observe",
]
