"""The wording the checkers share: shapes with named axes, which output, differences, hints.

Shapes are described with the course's axis names (B, T, S, d_k, ...; chapters 1, 3, 4, 5):
the checker's inputs use a distinct size for every axis, so a size can be read back as the
axis it belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from .inputs import Inputs
from .spec import Exercise


def axes(names: Sequence[str]) -> str:
    """``("B", "T", "S")`` -> ``"(B, T, S)"``."""
    return "(" + ", ".join(names) + ")"


def describe(shape: Sequence[int], sizes: Mapping[str, int]) -> str:
    """``(2, 5, 3)`` -> ``"(2, 5, 3) = (B, S, T)"`` when every size names one axis."""
    by_size = {size: name for name, size in sizes.items()}
    numbers = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    if shape and all(d in by_size for d in shape):
        return f"{numbers} = {axes([by_size[d] for d in shape])}"
    return numbers


def which_output(exercise: Exercise, i: int) -> str:
    """How a message names output ``i``: "Your result " or, for several, e.g. "Your K "."""
    if len(exercise.outputs) == 1:
        return "Your result "
    names = exercise.signature.split("->")[-1].strip(" ()").split(",")
    name = names[i].strip() if len(names) == len(exercise.outputs) else f"item {i}"
    return f"Your {name} "


def hint(exercise: Exercise, got: Tensor, want: Tensor, inputs: Inputs) -> str:
    """The exercise's own hint for this output, as " <hint>", or "" when it has none."""
    if exercise.hint is None:
        return ""
    text = exercise.hint(got, want, inputs)
    return f" {text}" if text else ""


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
