"""Observing a learner's answer: the only place where the learner's function runs.

:func:`observe` calls the answer of an exercise (chapters 1, 3, 4 and 5) on fresh copies of
its inputs, with warnings silenced and errors caught, and records as plain data what it
returned, what it raised, which argument it changed in place and, when a matrix product
failed, that product's operands (see :class:`MatmulWatch`). Judging the record is
:func:`~qkv_lib.exercises.diagnosis.judge`'s job, possibly in another process.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from torch.overrides import TorchFunctionMode

from .inputs import Inputs
from .observation import MESSAGE_CHARS, Call, Error, MatmulRecord, Observation, Opaque, Value
from .spec import Exercise

_MATMULS = {
    torch.matmul,
    torch.Tensor.matmul,
    torch.Tensor.__matmul__,
    torch.bmm,
    torch.Tensor.bmm,
    torch.mm,
    torch.Tensor.mm,
}


class MatmulWatch(TorchFunctionMode):
    """Remember the operands of each matrix product until it succeeds."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: tuple[Tensor, Tensor] | None = None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.Tensor.__rmatmul__ and len(args) == 2:
            func, args = torch.Tensor.__matmul__, (args[1], args[0])
        if func in _MATMULS and len(args) >= 2 and all(isinstance(a, Tensor) for a in args[:2]):
            self.pending = (args[0], args[1])
            out = func(*args, **kwargs)
            self.pending = None
            return out
        return func(*args, **kwargs)


def observe(
    exercise: Exercise,
    answer: Any,
    inputs: Inputs | None = None,
    probe: Inputs | None = None,
) -> Observation:
    """Run ``answer`` for ``exercise`` and record what it did; never raises for the answer.

    ``inputs`` and ``probe`` default to the exercise's own (``exercise.inputs()``,
    ``exercise.probe()``); a grader passes the ones it sent. The answer is called on the main
    inputs when its parameters fit them, and once more on the probe inputs only when that
    call raised (other than ``NotImplementedError``) and the exercise has a probe.
    """
    if answer is None:
        return Observation("none", type(answer).__name__)
    if not callable(answer):
        return Observation("not-callable", type(answer).__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the learner's warnings are not the checker's message
        signature, binds = _parameters(answer, exercise.arity)
        if not binds:
            return Observation("function", type(answer).__name__, signature, binds)
        call = _call(answer, exercise.inputs() if inputs is None else inputs)
        second = None
        if call.error is not None and not call.error.not_implemented and exercise.probe is not None:
            second = _call(answer, exercise.probe() if probe is None else probe)
    return Observation("function", type(answer).__name__, signature, binds, call, second)


def _parameters(answer: Callable[..., Any], arity: int) -> tuple[str | None, bool]:
    """The answer's parameters as text, and whether ``arity`` positional arguments fit them."""
    try:
        signature = inspect.signature(answer)
    except (TypeError, ValueError):  # builtins without a signature: just try calling them
        return None, True
    try:
        signature.bind(*range(arity))
    except TypeError:
        return str(signature), False
    try:
        return str(signature), True
    except Exception:  # a default value that cannot print itself; the text is not needed
        return None, True


def _call(answer: Callable[..., Any], inputs: Inputs) -> Call:
    """Call ``answer`` on fresh copies of the inputs; record exceptions and in-place changes."""
    args = inputs.fresh()
    before = inputs.fresh()
    names_by_id = {id(a): n for n, a in zip(inputs.names, args, strict=True)}
    watch = MatmulWatch()
    value, error, matmul = None, None, None
    try:
        with warnings.catch_warnings(), watch:
            warnings.simplefilter("ignore")
            value = answer(*args)
    except Exception as exc:  # the learner's code may raise anything
        error = _error(exc)
        if watch.pending is not None:
            left, right = watch.pending
            matmul = MatmulRecord(
                left.shape, right.shape, names_by_id.get(id(left)), names_by_id.get(id(right))
            )
    mutated = tuple(
        name
        for name, old, new in zip(inputs.names, before, args, strict=True)
        if isinstance(old, Tensor) and not _same(old, new)
    )
    return Call(_as_data(value), type(value).__name__, error, mutated, matmul)


def _same(a: Tensor, b: Tensor) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)


def _error(error: Exception) -> Error:
    try:
        text = str(error).strip()
    except Exception:  # an exception may even fail to print itself
        text = ""
    return Error(
        type(error).__name__, str(text[:MESSAGE_CHARS]), isinstance(error, NotImplementedError)
    )


def _as_data(value: Any) -> Value:
    """A returned value as data: tensors detached and plain, anything else by its type's name."""
    if value is None or value is Ellipsis:
        return None
    if isinstance(value, (tuple, list)):
        return tuple(_item(v) for v in value)
    return _item(value)


def _item(value: Any) -> Tensor | Opaque:
    if not isinstance(value, Tensor):
        return Opaque(type(value).__name__)
    value = value.detach()
    return value if type(value) is Tensor else value.as_subclass(Tensor)
