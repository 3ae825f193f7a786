"""The verdict on each exercise, reached in the grader's process (``qkv-course grade``).

The child (:mod:`.runner`) leaves one file per exercise in its ``out/`` folder: an
observation ``<id>.pt`` or a note ``<id>.json`` (function missing, or it failed to run). Here an
observation is loaded as plain data (``weights_only=True``, size-capped, checked field by
field) and judged with :func:`qkv_lib.exercises.judge` against the grader's own exercise and
the very inputs it sent. Whatever the notebook patched in its own process (``qkv.check``, the
references, ``torch.allclose``) is not here: it earns nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ...exercises import EXERCISES, CheckResult, Inputs, Observation, judge
from .limits import HARVEST_SECONDS, NOTE_MAX, OBSERVATION_MAX
from .outcome import ExerciseResult

__all__ = ["Given", "judge_outputs", "lost"]

#: The inputs the grader sent for one exercise: the main ones and the probe (or None).
Given = tuple[Inputs, Inputs | None]

_NOTES = {
    "absent": ("not-attempted", "{message}: define it with exactly this name."),
    "timeout": (
        "too-slow",
        f"Your function was still running after {HARVEST_SECONDS:g} s on small inputs: "
        "look for a loop that never ends.",
    ),
    "error": ("error", "Calling your function stopped the notebook's process ({message})."),
}


def _result(exercise_id: str, code: str, message: str, points: int = 0) -> ExerciseResult:
    return ExerciseResult(exercise_id, points, EXERCISES[exercise_id].points, code, message)


def lost(exercise_ids: list[str], code: str, message: str) -> tuple[ExerciseResult, ...]:
    """Every exercise 0 points with the same ``code``: the notebook could not be graded."""
    return tuple(_result(i, code, message) for i in exercise_ids)


def _from_observation(exercise_id: str, path: Path, given: Given) -> ExerciseResult:
    size = path.stat().st_size
    if size > OBSERVATION_MAX:
        why = f"The recorded output is {size / 1e6:.0f} MB, more than the grader reads."
        return _result(exercise_id, "unreadable-output", why)
    try:
        observation = Observation.from_payload(torch.load(path, weights_only=True))
    except Exception as error:  # anything the child wrote that is not a valid observation
        why = f"The recorded output could not be read ({type(error).__name__}: {error})"
        return _result(exercise_id, "unreadable-output", why[:500])
    exercise = EXERCISES[exercise_id]
    try:
        verdict = judge(exercise, observation, *given)
        if not isinstance(verdict, CheckResult):
            raise TypeError(f"judge returned a {type(verdict).__name__}")
    except Exception as error:  # the checker's fault, not the learner's
        why = f"The checker itself failed ({type(error).__name__}: {error}); please report this."
        return _result(exercise_id, "checker-error", why)
    points = exercise.points if verdict.passed else 0
    return _result(exercise_id, verdict.code, verdict.message, points)


def _from_note(exercise_id: str, path: Path) -> ExerciseResult | None:
    if path.stat().st_size > NOTE_MAX:
        return None
    try:
        note = json.loads(path.read_text(encoding="utf-8"))
        code, template = _NOTES[note["state"]]
        message = str(note["message"])[:500]
    except Exception:  # not a note the runner wrote
        return None
    return _result(exercise_id, code, template.format(message=message))


def judge_outputs(
    out: Path, given: dict[str, Given], missing_code: str, missing_message: str
) -> tuple[ExerciseResult, ...]:
    """One result per exercise in ``given`` from the child's ``out`` folder.

    An exercise with no usable file gets 0 points and ``missing_code`` (the submission's
    status when the child did not finish, else ``not-attempted``).
    """
    results = []
    for exercise_id, inputs in given.items():
        observation, note = out / f"{exercise_id}.pt", out / f"{exercise_id}.json"
        result = None
        if observation.is_file():
            result = _from_observation(exercise_id, observation, inputs)
        elif note.is_file():
            result = _from_note(exercise_id, note)
        results.append(result or _result(exercise_id, missing_code, missing_message))
    return tuple(results)
