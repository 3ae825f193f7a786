"""Observing a learner's answer: the only place where the learner's function runs.

:func:`observe` calls the answer of an exercise (chapters 1 to 8) on fresh copies of its
inputs, within a time limit (:mod:`~qkv_lib.exercises.deadline`), with warnings silenced and
errors caught, and records as plain data what it returned, what it raised, which argument it
changed in place, whether it ran out of time and, when a matrix product failed, that
product's operands (see :class:`MatmulWatch`). Judging the record is
:func:`~qkv_lib.exercises.diagnosis.judge`'s job, possibly in another process.

Whatever the answer does ends up in the record: it may raise anything, ``sys.exit()``
included, loop, recurse without end, or return objects whose methods raise (they are read
through the base classes' own methods, never their overrides). Only two kinds of exception
go through: ``KeyboardInterrupt`` (the learner's Ctrl-C must interrupt) and any other
``BaseException`` that is not ``SystemExit`` or ``GeneratorExit``, such as a caller's own time
limit (the grader's); :func:`~qkv_lib.exercises.check` reports the latter as an error.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from torch.overrides import TorchFunctionMode

from .deadline import Deadline, TimeUp, limit_seconds, shield
from .inputs import Inputs
from .observation import MESSAGE_CHARS, Call, Error, MatmulRecord, Observation, Opaque, Value
from .payload import dense_kind, is_dense
from .spec import Exercise

#: What an answer may raise and have recorded as its error; anything else propagates.
RECORDED = (Exception, SystemExit, GeneratorExit)
#: A returned tuple or list longer than this is recorded by its type alone (3 outputs at most).
MAX_ITEMS = 16
#: A type's name, or the text of a signature, is kept to this many characters.
NAME_CHARS = 200

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


# Entering and leaving the watch and the warnings filter must not be cut short by the time
# limit: a mode left on torch's stack, or the filter left silencing, would outlive the check.
shield(
    TorchFunctionMode.__enter__,
    TorchFunctionMode.__exit__,
    getattr(torch.overrides, "_push_mode", None),
    getattr(torch.overrides, "_pop_mode", None),
    warnings.catch_warnings.__enter__,
    warnings.catch_warnings.__exit__,
)


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
    call raised (other than ``NotImplementedError``) and the exercise has a probe. Both calls
    share one time limit, :func:`~qkv_lib.exercises.deadline.limit_seconds`.
    """
    if answer is None:
        return Observation("none", "NoneType")
    if not callable(answer):
        return Observation("not-callable", _type_name(answer))
    deadline = Deadline(limit_seconds())
    try:
        with warnings.catch_warnings(), deadline:
            warnings.simplefilter("ignore")  # the learner's warnings are not the checker's message
            return _observe(exercise, answer, inputs, probe, deadline)
    except TimeUp:  # out of time outside a call: reading the parameters, between the calls
        if not deadline.fired:
            raise  # an outer check's limit: it is that check's to report
        timed_out = Call(timed_out=deadline.seconds)
        return Observation("function", _type_name(answer), None, True, timed_out)


def _observe(
    exercise: Exercise,
    answer: Callable[..., Any],
    inputs: Inputs | None,
    probe: Inputs | None,
    deadline: Deadline,
) -> Observation:
    signature, binds = _parameters(answer, exercise.arity)
    type_name = _type_name(answer)
    if not binds:
        return Observation("function", type_name, signature, binds)
    call = _call(answer, exercise.inputs() if inputs is None else inputs, deadline)
    second = None
    if call.error is not None and not call.error.not_implemented and exercise.probe is not None:
        second = _call(answer, exercise.probe() if probe is None else probe, deadline)
    return Observation("function", type_name, signature, binds, call, second)


def _parameters(answer: Callable[..., Any], arity: int) -> tuple[str | None, bool]:
    """The answer's parameters as text, and whether ``arity`` positional arguments fit them."""
    try:
        signature = inspect.signature(answer)
    except Exception:  # builtins without a signature, a __signature__ that raises: just call it
        return None, True
    try:
        signature.bind(*range(arity))
    except TypeError:
        return _text(signature), False
    except Exception:  # a Signature subclass of the learner's: the call will tell
        return None, True
    return _text(signature), True


def _text(signature: inspect.Signature) -> str | None:
    try:
        text = str.__str__(str(signature))
    except Exception:  # a default value that cannot print itself; the text is not needed
        return None
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 5] + " ...)"


def _call(answer: Callable[..., Any], inputs: Inputs, deadline: Deadline) -> Call:
    """Call ``answer`` on fresh copies of the inputs; record what it returned or raised."""
    args = inputs.fresh()
    before = inputs.fresh()
    names_by_id = {id(a): n for n, a in zip(inputs.names, args, strict=True)}
    watch = MatmulWatch()
    timed_out = Call(timed_out=deadline.seconds)
    try:
        try:
            with warnings.catch_warnings(), watch:
                warnings.simplefilter("ignore")
                value = answer(*args)
        except RECORDED as exc:  # the learner's code may raise anything, even sys.exit()
            if deadline.fired:  # it caught TimeUp, then raised something else
                return timed_out
            matmul = None
            if watch.pending is not None and not issubclass(type(exc), RecursionError):
                matmul = _matmul(*watch.pending, names_by_id)
            return Call(None, "NoneType", _error(exc), _mutated(inputs, before, args), matmul)
        if deadline.fired:  # it caught TimeUp and returned all the same
            return timed_out
        return Call(_as_data(value), _type_name(value), None, _mutated(inputs, before, args))
    except TimeUp:  # in the answer, or in its objects' methods (__str__, __iter__, ...)
        if not deadline.fired:
            raise  # an outer check's limit: it is that check's to report
        return timed_out


def _matmul(left: Tensor, right: Tensor, names_by_id: dict[int, str]) -> MatmulRecord | None:
    try:
        shapes = torch.Size(left.shape), torch.Size(right.shape)
    except Exception:  # operands of a tensor subclass that cannot tell their shapes
        return None
    return MatmulRecord(*shapes, names_by_id.get(id(left)), names_by_id.get(id(right)))


def _mutated(inputs: Inputs, before: tuple, after: tuple) -> tuple[str, ...]:
    """The names of the tensor arguments the call changed in place."""
    return tuple(
        name
        for name, old, new in zip(inputs.names, before, after, strict=True)
        if isinstance(old, Tensor) and not _same(old, new)
    )


def _same(a: Tensor, b: Tensor) -> bool:
    """``b`` (an argument after the call) is still ``a``: its type, place, shape and values."""
    try:
        return (
            type(b) is type(a)
            and (b.layout, b.device, b.shape, b.dtype) == (a.layout, a.device, a.shape, a.dtype)
            and torch.equal(a, b)
        )
    except Exception:  # e.g. moved to the meta device, where values cannot be compared
        return False


def _error(error: BaseException) -> Error:
    try:
        text = str.__str__(str(error)).strip()
    except Exception:  # an exception may even fail to print itself
        text = ""
    not_implemented = issubclass(type(error), NotImplementedError)
    return Error(_type_name(error), text[:MESSAGE_CHARS], not_implemented)


def _type_name(value: Any) -> str:
    """The name of ``value``'s type, read without calling anything of the learner's."""
    name = type.__dict__["__name__"].__get__(type(value))
    return name[:NAME_CHARS] if type(name) is str else "object"


def _as_data(value: Any) -> Value:
    """A returned value as data: tensors detached and plain, anything else by its type's name.

    A tuple or list (or a subclass, such as a named tuple) is read with ``tuple``'s and
    ``list``'s own methods, so an overridden ``__iter__`` or ``__len__`` is never called.
    """
    if value is None or value is Ellipsis:
        return None
    for base in (tuple, list):
        if issubclass(type(value), base):
            if base.__len__(value) > MAX_ITEMS:
                return Opaque(_type_name(value))
            return tuple(_item(v) for v in base.__iter__(value))
    return _item(value)


def _item(value: Any) -> Tensor | Opaque:
    """A returned tensor as a plain dense tensor, detached; anything else as an Opaque."""
    if not issubclass(type(value), Tensor):
        return Opaque(_type_name(value))
    try:
        with torch._C.DisableTorchFunctionSubclass():  # a subclass's overrides are not called
            plain = Tensor.detach(value)
            plain = plain if type(plain) is Tensor else Tensor.as_subclass(plain, Tensor)
        dense = is_dense(plain)
    except Exception:  # a subclass that cannot even be detached
        return Opaque(_type_name(value))
    return plain if dense else Opaque(f"{dense_kind(plain)} tensor")
