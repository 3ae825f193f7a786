"""When an answer's output counts as a given output: the expected one, or a known mistake's.

Used by every checker (chapters 1 to 8), on the tensors an
:class:`~qkv_lib.exercises.observation.Observation` recorded. The tolerances are loose enough
for float32 arithmetic in the answer and far tighter than the effect of any mistake on the
inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from .inputs import Inputs
from .observation import Call, Opaque
from .spec import Exercise, Mistake

ATOL, RTOL = 1e-6, 1e-4


def as_tuple(value: Any) -> tuple[Tensor, ...]:
    """A function's output as a tuple of tensors (one tensor becomes a 1-tuple)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def close(answer: Sequence[Tensor], expected: Sequence[Tensor]) -> bool:
    """True when every tensor has the expected shape and values (dtype-tolerant)."""
    if len(answer) != len(expected):
        return False
    for a, e in zip(answer, expected, strict=True):
        if a.shape != e.shape or a.device != e.device or a.is_complex():
            return False  # e.g. a meta or complex result from a probe call: not comparable
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
    except RuntimeError:  # e.g. K Qᵀ @ V needs T == S: only the probe inputs can show it
        return False
    return close(tensors, wrong)


def first_match(
    tensors: tuple[Tensor, ...], mistakes: Sequence[Mistake], inputs: Inputs
) -> Mistake | None:
    """The first of ``mistakes`` whose output the answer's ``tensors`` equal, if any."""
    return next((m for m in mistakes if matches(tensors, m, inputs)), None)


def as_tensors(call: Call, n: int) -> tuple[Tensor, ...] | str:
    """What ``call`` returned as ``n`` tensors, or a message saying why it is not."""
    value, what = call.value, call.type_name
    if isinstance(value, Opaque):  # e.g. "sparse_coo tensor", where the type says "Tensor"
        what = value.type_name
    if n == 1:
        if isinstance(value, Tensor):
            return (value,)
        if isinstance(value, tuple):
            return (
                f"your function returned a {what} of {len(value)} items; return a single tensor "
                "instead"
            )
        return f"your function returned a {what}; it should return a torch.Tensor"
    if not isinstance(value, tuple) or len(value) != n:
        size = f" of {len(value)} items" if isinstance(value, tuple) else ""
        return f"your function returned a {what}{size}; it should return {n} tensors, as a tuple"
    for i, item in enumerate(value):
        if not isinstance(item, Tensor):
            return f"item {i} of what your function returned is a {item.type_name}, not a tensor"
    return value


def mistake_on_probe(exercise: Exercise, call: Call, probe: Inputs) -> Mistake | None:
    """The known mistake the answer's ``call`` on the ``probe`` inputs shows, if any.

    Some mistakes only run where sizes coincide: an answer that raised on the main inputs
    was called again on the probe inputs, and may compute one of them there.
    """
    if call.error is not None or call.mutated or call.timed_out is not None:
        return None
    tensors = as_tensors(call, len(exercise.outputs))
    if isinstance(tensors, str):
        return None
    return first_match(tensors, exercise.mistakes, probe)
