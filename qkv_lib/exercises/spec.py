"""What an exercise is: its catalogue entry, its fixed inputs and the mistakes it knows.

An exercise (set in chapters 1, 3, 4 and 5) is data: a reference function, the inputs the
checker passes, the named axes of each output and the classic mistakes, each as the wrong
function it amounts to. :mod:`qkv_lib.exercises.observer` runs an answer on the inputs and
:mod:`qkv_lib.exercises.diagnosis` turns what it saw into a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import Tensor

from .inputs import Inputs
from .observation import MatmulRecord


@dataclass(frozen=True)
class Mistake:
    """A classic mistake: ``compute`` makes the wrong answer it produces from the same inputs."""

    code: str
    message: str
    compute: Callable[..., Any]


@dataclass(frozen=True)
class Exercise:
    """One exercise: its catalogue entry plus everything the checker needs to diagnose answers.

    ``outputs`` names the axes of each returned tensor, e.g. ``(("B", "T", "S"),)`` for one
    tensor or three entries for ``project_qkv``'s ``(Q, K, V)``. ``probe`` is a second set of
    inputs with coinciding sizes, used only when an answer raises on the main inputs: some
    mistakes (``x @ W.T``) only run when a matrix is square.
    """

    id: str
    chapter: int
    title: str
    points: int
    minutes: int
    difficulty: str
    signature: str
    reference: Callable[..., Any] = field(repr=False)
    inputs: Callable[[], Inputs] = field(repr=False)
    outputs: tuple[tuple[str, ...], ...] = field(repr=False)
    mistakes: tuple[Mistake, ...] = field(default=(), repr=False)
    probe: Callable[[], Inputs] | None = field(default=None, repr=False)
    dtype: str = field(default="float", repr=False)  # "float" or "bool"
    #: What True means in a bool output, for the "return a bool tensor" message.
    true_means: str = field(default="may attend", repr=False)
    hint: Callable[[Tensor, Tensor, Inputs], str] | None = field(default=None, repr=False)
    #: Names a mistake from the matrix product that failed, when no probe can run it.
    failed_matmul: Callable[[MatmulRecord, Inputs], Mistake | None] | None = field(
        default=None, repr=False
    )

    @property
    def call(self) -> str:
        """How the checker calls the answer, e.g. ``"fn(Q, K)"``."""
        return self.signature.split("->")[0].strip()

    @property
    def arity(self) -> int:
        return self.call.count(",") + 1
