"""Running a learner's answer safely: on fresh copies, with warnings silenced and errors caught.

The checker of every exercise (chapters 1, 3, 4 and 5) runs the answer here, and records what
it returned, what it raised, which argument it changed in place and, when a matrix product
failed, that product's operands (see :class:`MatmulWatch`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch.overrides import TorchFunctionMode

from .spec import Inputs, MatmulRecord

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
        self.pending: MatmulRecord | None = None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.Tensor.__rmatmul__ and len(args) == 2:
            func, args = torch.Tensor.__matmul__, (args[1], args[0])
        if func in _MATMULS and len(args) >= 2 and all(isinstance(a, Tensor) for a in args[:2]):
            a, b = args[0], args[1]
            self.pending = MatmulRecord(a.shape, b.shape, id(a), id(b))
            out = func(*args, **kwargs)
            self.pending = None
            return out
        return func(*args, **kwargs)


@dataclass
class Run:
    """What one call of the answer did."""

    value: Any = None
    error: BaseException | None = None
    mutated: tuple[str, ...] = ()
    failed_matmul: MatmulRecord | None = None
    names_by_id: dict[int, str] = field(default_factory=dict)  # the arguments actually passed


def run_answer(answer: Callable[..., Any], inputs: Inputs) -> Run:
    """Call ``answer`` on fresh copies of the inputs; record exceptions and in-place changes."""
    args = inputs.fresh()
    before = inputs.fresh()
    watch = MatmulWatch()
    result = Run(names_by_id={id(a): n for n, a in zip(inputs.names, args, strict=True)})
    try:
        with warnings.catch_warnings(), watch:
            warnings.simplefilter("ignore")
            result.value = answer(*args)
    except Exception as error:  # the learner's code may raise anything
        result.error = error
        result.failed_matmul = watch.pending
    result.mutated = tuple(
        name
        for name, old, new in zip(inputs.names, before, args, strict=True)
        if isinstance(old, Tensor) and not _same(old, new)
    )
    return result


def _same(a: Tensor, b: Tensor) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)


def as_tensors(value: Any, n: int) -> tuple[Tensor, ...] | str:
    """The answer's return value as ``n`` tensors, or a message saying why it is not."""
    what = type(value).__name__
    if n == 1:
        if isinstance(value, Tensor):
            return (value,)
        if isinstance(value, (tuple, list)):
            return (
                f"your function returned a {what} of {len(value)} items; return a single tensor "
                "instead"
            )
        return f"your function returned a {what}; it should return a torch.Tensor"
    if not isinstance(value, (tuple, list)) or len(value) != n:
        size = f" of {len(value)} items" if isinstance(value, (tuple, list)) else ""
        return f"your function returned a {what}{size}; it should return {n} tensors, as a tuple"
    for i, item in enumerate(value):
        if not isinstance(item, Tensor):
            return (
                f"item {i} of what your function returned is a {type(item).__name__}, not a tensor"
            )
    return tuple(value)
