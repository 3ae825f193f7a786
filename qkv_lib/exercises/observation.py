"""What running a learner's answer showed, as plain data: an :class:`Observation`.

:func:`~qkv_lib.exercises.observer.observe` makes one by calling the answer (the exercises
of chapters 1, 3, 4 and 5); :func:`~qkv_lib.exercises.diagnosis.judge` names the mistake from
it and never calls the answer. Nothing here refers to the learner's objects, so an
observation made in the learner's process reaches a grader's process as a payload
(:meth:`Observation.to_payload`) that ``torch.load(..., weights_only=True)`` reads and
:meth:`Observation.from_payload` checks field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from . import payload as p

#: An error's message is kept to this many characters.
MESSAGE_CHARS = 500
#: A returned tensor with more elements than this (every expected output has a few hundred) is
#: sent as a stand-in of its shape, dtype and device: its values cannot matter.
PAYLOAD_ELEMENTS = 1_000_000
#: What ``Observation.kind`` says about the answer itself.
KINDS = ("none", "not-callable", "function")


@dataclass(frozen=True)
class Opaque:
    """A returned object that is not a tensor, known only by its type's name, e.g. ``ndarray``."""

    type_name: str


#: A returned value as data: a tensor (detached, plain), a tuple for a returned tuple or list,
#: an :class:`Opaque` for anything else, and None for ``None`` and ``...`` (nothing returned).
Value = Tensor | tuple[Tensor | Opaque, ...] | Opaque | None


@dataclass(frozen=True)
class Error:
    """An exception the answer raised: its type's name and the start of its message."""

    type_name: str
    message: str  # str(error).strip(), at most MESSAGE_CHARS characters; "" if it cannot print
    not_implemented: bool  # a NotImplementedError (or a subclass): the stub is still there

    def to_payload(self) -> dict[str, Any]:
        return {
            "type_name": self.type_name,
            "message": self.message,
            "not_implemented": self.not_implemented,
        }

    @classmethod
    def from_payload(cls, payload: Any, where: str) -> Error:
        p.fields(payload, where, ("type_name", "message", "not_implemented"))
        return cls(
            p.string(payload["type_name"], f"{where}['type_name']"),
            p.string(payload["message"], f"{where}['message']", limit=MESSAGE_CHARS),
            p.boolean(payload["not_implemented"], f"{where}['not_implemented']"),
        )


@dataclass(frozen=True)
class MatmulRecord:
    """The matrix product that was running when an answer raised: operand shapes and names.

    A name is the argument's name (``"K"``) when the operand was that argument itself, else
    None (an intermediate tensor, or a view such as ``K.mT``).
    """

    left: torch.Size
    right: torch.Size
    left_name: str | None = None
    right_name: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {
            "left": list(self.left),
            "right": list(self.right),
            "left_name": self.left_name,
            "right_name": self.right_name,
        }

    @classmethod
    def from_payload(cls, payload: Any, where: str) -> MatmulRecord:
        p.fields(payload, where, ("left", "right", "left_name", "right_name"))
        return cls(
            p.shape(payload["left"], f"{where}['left']"),
            p.shape(payload["right"], f"{where}['right']"),
            p.optional_string(payload["left_name"], f"{where}['left_name']"),
            p.optional_string(payload["right_name"], f"{where}['right_name']"),
        )


@dataclass(frozen=True, eq=False)
class Call:
    """One call of the answer: what it returned or raised, and what it changed in place.

    ``type_name`` names the type of what it returned (``"tuple"``, ``"Parameter"``, ...),
    which ``value`` alone does not tell. ``timed_out`` is the time limit in seconds when the
    call ran past it and was stopped (then it neither returned nor raised), else None.
    """

    value: Value = None
    type_name: str = "NoneType"
    error: Error | None = None
    mutated: tuple[str, ...] = ()  # the names of the arguments it changed in place
    failed_matmul: MatmulRecord | None = None  # only when it raised inside a matrix product
    timed_out: float | None = None

    def to_payload(self) -> dict[str, Any]:
        matmul = self.failed_matmul
        return {
            "value": _value_to_payload(self.value),
            "type_name": self.type_name,
            "error": None if self.error is None else self.error.to_payload(),
            "mutated": list(self.mutated),
            "failed_matmul": None if matmul is None else matmul.to_payload(),
            "timed_out": self.timed_out,
        }

    @classmethod
    def from_payload(cls, payload: Any, where: str) -> Call:
        keys = ("value", "type_name", "error", "mutated", "failed_matmul", "timed_out")
        p.fields(payload, where, keys)
        error, matmul, timed_out = payload["error"], payload["failed_matmul"], payload["timed_out"]
        at = f"{where}['failed_matmul']"
        call = cls(
            _value_from_payload(payload["value"], f"{where}['value']"),
            p.string(payload["type_name"], f"{where}['type_name']"),
            None if error is None else Error.from_payload(error, f"{where}['error']"),
            p.strings(payload["mutated"], f"{where}['mutated']"),
            None if matmul is None else MatmulRecord.from_payload(matmul, at),
            None if timed_out is None else p.seconds(timed_out, f"{where}['timed_out']"),
        )
        if call.error is not None and call.value is not None:
            raise ValueError(f"{where} both raised an error and returned a value")
        if call.failed_matmul is not None and call.error is None:
            raise ValueError(f"{where} has a failed matrix product but no error")
        if call.timed_out is not None and (call.value is not None or call.error is not None):
            raise ValueError(f"{where} ran out of time but also returned or raised")
        return call


@dataclass(frozen=True, eq=False)
class Observation:
    """What :func:`~qkv_lib.exercises.observer.observe` saw of one answer.

    ``kind`` is ``"none"``, ``"not-callable"`` (``type_name`` says what it is instead) or
    ``"function"``. For a function: ``signature`` is its parameters as text (None when they
    cannot be read) and ``binds`` whether the exercise's arguments fit them; ``call`` is the
    call on the main inputs (None when it was not called), ``probe`` the call on the probe
    inputs, made only when ``call`` raised and the exercise has a probe.
    """

    kind: str
    type_name: str
    signature: str | None = None
    binds: bool = True
    call: Call | None = None
    probe: Call | None = None

    def to_payload(self) -> dict[str, Any]:
        """Plain data (tensors, str, bool, None, lists, dicts) for ``torch.save``."""
        return {
            "kind": self.kind,
            "type_name": self.type_name,
            "signature": self.signature,
            "binds": self.binds,
            "call": None if self.call is None else self.call.to_payload(),
            "probe": None if self.probe is None else self.probe.to_payload(),
        }

    @classmethod
    def from_payload(cls, payload: Any) -> Observation:
        """The observation in ``payload``; raises ``ValueError`` naming anything unexpected."""
        where = "observation"
        p.fields(payload, where, ("kind", "type_name", "signature", "binds", "call", "probe"))
        call, probe = payload["call"], payload["probe"]
        observation = cls(
            p.choice(payload["kind"], f"{where}['kind']", KINDS),
            p.string(payload["type_name"], f"{where}['type_name']"),
            p.optional_string(payload["signature"], f"{where}['signature']"),
            p.boolean(payload["binds"], f"{where}['binds']"),
            None if call is None else Call.from_payload(call, f"{where}['call']"),
            None if probe is None else Call.from_payload(probe, f"{where}['probe']"),
        )
        _check_consistent(observation)
        return observation


def _check_consistent(o: Observation) -> None:
    """The combinations :func:`~qkv_lib.exercises.observer.observe` can make, and no other."""
    called = o.kind == "function" and o.binds
    if o.kind != "function" and (o.signature is not None or not o.binds):
        raise ValueError(f"observation of kind {o.kind!r} has a signature or binds=False")
    if not o.binds and o.signature is None:
        raise ValueError("observation['binds'] is False but the signature is missing")
    if (o.call is not None) != called:
        state = "has a call" if o.call is not None else "lacks the call"
        raise ValueError(f"observation of kind {o.kind!r} with binds={o.binds} {state}")
    if o.probe is not None and (o.call is None or o.call.error is None):
        raise ValueError("observation has a probe call, but its call did not raise")
    if o.probe is not None and o.call.error.not_implemented:
        raise ValueError("observation has a probe call after a NotImplementedError")


def _item_to_payload(item: Tensor | Opaque) -> Any:
    if isinstance(item, Opaque):
        return {"opaque": item.type_name}
    if item.numel() > PAYLOAD_ELEMENTS:  # e.g. torch.zeros(1).expand(10**9): keep its shape
        return torch.zeros((), dtype=item.dtype, device=item.device).expand(item.shape)
    return item.detach().clone()  # its own storage: not a view of something larger


def _item_from_payload(payload: Any, where: str) -> Tensor | Opaque:
    if isinstance(payload, dict):
        p.fields(payload, where, ("opaque",))
        return Opaque(p.string(payload["opaque"], f"{where}['opaque']"))
    return p.tensor(payload, where)


def _value_to_payload(value: Value) -> Any:
    if isinstance(value, tuple):
        return [_item_to_payload(item) for item in value]
    return None if value is None else _item_to_payload(value)


def _value_from_payload(payload: Any, where: str) -> Value:
    if payload is None:
        return None
    if type(payload) in (list, tuple):
        return tuple(_item_from_payload(x, f"{where}[{i}]") for i, x in enumerate(payload))
    return _item_from_payload(payload, where)
