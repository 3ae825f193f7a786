"""What an exercise is: its catalogue entry, its fixed inputs and the mistakes it knows.

An exercise (set in chapters 1 to 8) is data: a reference function, the inputs the
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
class ScoreScale:
    """How an exercise's output depends on the number its scores are multiplied by.

    The reference multiplies the scores by 1/√(size of ``axis``); ``compute(*args,
    factor=f)`` is the reference with the scores multiplied by ``f`` instead. ``linear``: the
    output is proportional to the scores (the scores themselves, the matching rule), so a
    wrong scale is a constant factor on it. ``name`` is how messages call the axis when it
    differs from the key in the inputs' sizes (``d_k`` for chapter 1's E); ``what`` is what
    is scaled, as messages say it.
    """

    axis: str
    compute: Callable[..., Any] = field(repr=False)
    linear: bool = False
    name: str = ""
    what: str = "the scores"

    @property
    def label(self) -> str:
        return self.name or self.axis


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
    #: For an exercise whose scores are scaled: recomputes it with another scale.
    score_scale: ScoreScale | None = field(default=None, repr=False)

    @property
    def call(self) -> str:
        """How the checker calls the answer, e.g. ``"fn(Q, K)"``."""
        return self.signature.split("->")[0].strip()

    @property
    def arity(self) -> int:
        return self.call.count(",") + 1
