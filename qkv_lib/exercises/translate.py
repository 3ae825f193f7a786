"""Turn exceptions, shapes and differences into advice a learner can act on.

Shapes are described with the course's axis names (B, L, S, d_k, ...): the checker's inputs
use a distinct size for every axis, so a size can be read back as the axis it belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor
from torch.overrides import TorchFunctionMode

if TYPE_CHECKING:
    from .framework import Inputs

_MATMULS = {
    torch.matmul,
    torch.Tensor.matmul,
    torch.Tensor.__matmul__,
    torch.bmm,
    torch.Tensor.bmm,
    torch.mm,
    torch.Tensor.mm,
}


@dataclass(frozen=True)
class MatmulRecord:
    """The operands of the matrix product that was running when an exception was raised."""

    left: torch.Size
    right: torch.Size
    left_id: int
    right_id: int


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


def axes(names: Sequence[str]) -> str:
    """``("B", "L", "S")`` -> ``"(B, L, S)"``."""
    return "(" + ", ".join(names) + ")"


def describe(shape: Sequence[int], sizes: Mapping[str, int]) -> str:
    """``(2, 5, 3)`` -> ``"(2, 5, 3) = (B, S, L)"`` when every size names one axis."""
    by_size = {size: name for name, size in sizes.items()}
    numbers = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    if shape and all(d in by_size for d in shape):
        return f"{numbers} = {axes([by_size[d] for d in shape])}"
    return numbers


def explain(
    error: BaseException,
    record: MatmulRecord | None,
    inputs: Inputs,
    names_by_id: Mapping[int, str],
) -> str:
    """One or two sentences on what went wrong and what to change.

    ``record`` is the matrix product that failed, if one did; ``names_by_id`` names the
    arguments the answer received, so that an operand can be called ``K`` rather than
    "a tensor".
    """
    if record is not None:
        return _explain_matmul(record, inputs, names_by_id)
    try:
        text = str(error).strip()
    except Exception:  # an exception may even fail to print itself
        text = ""
    text = text.splitlines()[0] if text else ""
    if "view size is not compatible" in text:
        return (
            "`.view()` needs a contiguous tensor, and a transposed tensor is not: use "
            "`.reshape(...)` instead (or `.contiguous().view(...)`)."
        )
    if "is invalid for input of size" in text:
        return (
            f"A reshape asked for a shape with a different number of elements ({text}). "
            "Check the sizes you pass to view/reshape."
        )
    if len(text) > 200:
        text = text[:200] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _explain_matmul(record: MatmulRecord, inputs: Inputs, names_by_id: Mapping[int, str]) -> str:
    a, b = record.left, record.right
    a_name = names_by_id.get(record.left_id)
    b_name = names_by_id.get(record.right_id)
    a_text, b_text = describe(a, inputs.sizes), describe(b, inputs.sizes)
    head = (
        f"In a matrix product `@`, {a_name or 'a tensor'} {a_text} @ {b_name or 'a tensor'} "
        f"{b_text}"
    )
    reversed_input = next(
        (
            name
            for name, arg in zip(inputs.names, inputs.args, strict=True)
            if isinstance(arg, Tensor) and arg.dim() > 2 and tuple(arg.shape[::-1]) == tuple(b)
        ),
        None,
    )
    if reversed_input is not None:
        return (
            f"{head}: the right operand has all its axes reversed, which is what `.T` does to a "
            f"tensor with more than two axes. Transpose only the last two axes: "
            f"`{reversed_input}.transpose(-2, -1)` (or `{reversed_input}.mT`)."
        )
    if a.numel() and b.numel() and len(a) >= 1 and len(b) >= 2 and a[-1] != b[-2]:
        if a[-1] == b[-1]:
            fix = _transpose_advice("right", b_name)
        elif len(a) >= 2 and a[-2] == b[-2]:
            fix = _transpose_advice("left", a_name)
        elif len(a) >= 2 and b[-1] == a[-2]:
            fix = "swap the two operands: the order of a matrix product matters"
        else:
            fix = "check which tensors you are multiplying"
        return (
            f"{head}: the last axis on the left ({a[-1]}) must equal the second-to-last on the "
            f"right ({b[-2]}). To fix it, {fix}."
        )
    return f"{head}: the leading (batch) axes do not match."


def _transpose_advice(side: str, name: str | None) -> str:
    how = f"`{name}.mT` or `{name}.transpose(-2, -1)`" if name else "`.mT` or `.transpose(-2, -1)`"
    return f"transpose the last two axes of the {side} operand ({how})"


def difference(got: Tensor, want: Tensor, names: Sequence[str]) -> str:
    """Where and by how much ``got`` differs most from ``want`` (same shape)."""
    if want.dtype == torch.bool or got.dtype == torch.bool:
        wrong = got.bool() != want.bool()
        count = int(wrong.sum())
        index = [int(i) for i in wrong.nonzero()[0]]
        where = _where(index, names)
        return (
            f"has {count} wrong entr{'y' if count == 1 else 'ies'}; the first is at {where}: "
            f"got {bool(got.bool()[tuple(index)])}, expected {bool(want[tuple(index)])}."
        )
    diff = (got.double() - want.double()).abs()
    flat = int(diff.argmax())
    index = _unravel(flat, want.shape)
    return (
        f"has the right shape but the wrong values: the largest difference is "
        f"{float(diff.max()):.3g}, at {_where(index, names)} (got {float(got[tuple(index)]):.4g}, "
        f"expected {float(want[tuple(index)]):.4g})."
    )


def _unravel(flat: int, shape: Sequence[int]) -> list[int]:
    index = []
    for size in reversed(shape):
        index.append(flat % size)
        flat //= size
    return index[::-1]


def _where(index: Sequence[int], names: Sequence[str]) -> str:
    if len(names) == len(index):
        return "[" + ", ".join(f"{n}={i}" for n, i in zip(names, index, strict=True)) + "]"
    return str(list(index))
