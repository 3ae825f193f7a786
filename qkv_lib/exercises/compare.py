"""When an answer's output counts as a given output: the expected one, or a known mistake's.

Used by every checker (chapters 1, 3, 4 and 5). The tolerances are loose enough for float32
arithmetic in the answer and far tighter than the effect of any mistake on the inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from .run import as_tensors, run_answer
from .spec import Exercise, Inputs, Mistake

ATOL, RTOL = 1e-6, 1e-4


def as_tuple(value: Any) -> tuple[Tensor, ...]:
    """A function's output as a tuple of tensors (one tensor becomes a 1-tuple)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


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


def matches(tensors: tuple[Tensor, ...], mistake: Mistake, inputs: Inputs) -> bool:
    """True when the answer equals what ``mistake`` computes (some mistakes cannot run here)."""
    try:
        wrong = as_tuple(mistake.compute(*inputs.fresh()))
    except RuntimeError:  # e.g. K Qᵀ @ V needs L == S: only the probe inputs can show it
        return False
    return close(tensors, wrong)


def first_match(
    tensors: tuple[Tensor, ...], mistakes: Sequence[Mistake], inputs: Inputs
) -> Mistake | None:
    """The first of ``mistakes`` whose output the answer's ``tensors`` equal, if any."""
    return next((m for m in mistakes if matches(tensors, m, inputs)), None)


def mistake_on_probe(exercise: Exercise, answer: Callable[..., Any]) -> Mistake | None:
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
    return first_match(tensors, exercise.mistakes, probe)
