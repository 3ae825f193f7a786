"""Reading a payload that crossed a process boundary: plain data only, checked field by field.

An observation of a learner's answer (chapters 1, 3, 4 and 5) and the inputs it ran on travel
between the learner's process and the grader's as dicts that ``torch.load(path,
weights_only=True)`` accepts: tensors, str, int, float, bool, None, lists, tuples and dicts. A
payload may come from code the grader does not trust, so each reader checks every field with
the helpers below, and anything unexpected raises a ``ValueError`` that names the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor


def fields(payload: Any, where: str, keys: Sequence[str]) -> dict:
    """``payload`` as a dict with exactly ``keys``; ``where`` names it in the error."""
    if not isinstance(payload, dict):
        raise ValueError(f"{where} must be a dict, not {type(payload).__name__}")
    unknown = [key for key in payload if key not in keys]
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown}; its keys are {list(keys)}")
    missing = [key for key in keys if key not in payload]
    if missing:
        raise ValueError(f"{where} lacks the keys {missing}")
    return payload


def tensor(value: Any, where: str) -> Tensor:
    """A plain dense ``torch.Tensor``: subclasses (``nn.Parameter``, ...) and sparse, nested or
    quantized tensors are refused."""
    if type(value) is not torch.Tensor:
        kind = "a tensor subclass" if isinstance(value, Tensor) else "a"
        raise ValueError(f"{where} must be a torch.Tensor, not {kind} {type(value).__name__}")
    if not is_dense(value):
        raise ValueError(f"{where} must be a dense tensor, not a {dense_kind(value)} one")
    return value


def is_dense(value: Tensor) -> bool:
    """True for an ordinary (strided, not nested, not quantized) tensor."""
    return value.layout == torch.strided and not value.is_nested and not value.is_quantized


def dense_kind(value: Tensor) -> str:
    """What kind of tensor that is not dense ``value`` is: "sparse_coo", "nested", ..."""
    if value.is_nested:
        return "nested"
    if value.is_quantized:
        return "quantized"
    return str(value.layout).removeprefix("torch.")


def seconds(value: Any, where: str) -> float:
    """A number of seconds: a finite int or float above 0 (a bool is refused)."""
    if type(value) not in (int, float):
        raise ValueError(f"{where} must be a number, not {type(value).__name__}")
    if not 0 < value < float("inf"):
        raise ValueError(f"{where} is {value}; it must be a finite number of seconds above 0")
    return float(value)


def string(value: Any, where: str, *, limit: int | None = None) -> str:
    if type(value) is not str:
        raise ValueError(f"{where} must be a str, not {type(value).__name__}")
    if limit is not None and len(value) > limit:
        raise ValueError(f"{where} has {len(value)} characters; at most {limit} are allowed")
    return value


def optional_string(value: Any, where: str) -> str | None:
    return None if value is None else string(value, where)


def boolean(value: Any, where: str) -> bool:
    if type(value) is not bool:
        raise ValueError(f"{where} must be a bool, not {type(value).__name__}")
    return value


def integer(value: Any, where: str, *, minimum: int | None = None) -> int:
    """An int (a bool is refused), at least ``minimum`` when one is given."""
    if type(value) is not int:
        raise ValueError(f"{where} must be an int, not {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where} is {value}; it must be at least {minimum}")
    return value


def sequence(value: Any, where: str) -> tuple:
    """A list or a tuple, as a tuple."""
    if type(value) not in (list, tuple):
        raise ValueError(f"{where} must be a list or a tuple, not {type(value).__name__}")
    return tuple(value)


def strings(value: Any, where: str) -> tuple[str, ...]:
    """A list or tuple of str."""
    return tuple(string(s, f"{where}[{i}]") for i, s in enumerate(sequence(value, where)))


def shape(value: Any, where: str) -> torch.Size:
    """A list or tuple of sizes (ints >= 0), as a ``torch.Size``."""
    items = sequence(value, where)
    return torch.Size(integer(d, f"{where}[{i}]", minimum=0) for i, d in enumerate(items))


def choice(value: Any, where: str, options: Sequence[str]) -> str:
    if type(value) is not str or value not in options:
        raise ValueError(f"{where} must be one of {list(options)}, not {value!r:.80}")
    return value
