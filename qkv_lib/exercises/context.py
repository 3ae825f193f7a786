"""What the diagnosis steps look at: one observed answer, its exercise and its inputs.

:mod:`qkv_lib.exercises.diagnosis` runs its steps (for the exercises of chapters 1, 3, 4 and
5) on a :class:`Context`, which computes the expected output and the answer's tensors only
when a step first needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from torch import Tensor

from .compare import as_tensors, as_tuple
from .inputs import Inputs
from .observation import Call, Observation
from .result import CheckResult
from .spec import Exercise


@dataclass
class Context:
    """One observed answer being judged; what the steps look at is computed when first needed.

    ``given_inputs`` and ``given_probe`` are the inputs the answer was observed on; None
    stands for the exercise's own.
    """

    exercise: Exercise
    observation: Observation
    given_inputs: Inputs | None = None
    given_probe: Inputs | None = None

    def result(self, code: str, message: str) -> CheckResult:
        return CheckResult(self.exercise.id, code == "pass", code, message)

    @cached_property
    def inputs(self) -> Inputs:
        return self.exercise.inputs() if self.given_inputs is None else self.given_inputs

    @cached_property
    def probe(self) -> Inputs | None:
        if self.exercise.probe is None:
            return None
        return self.exercise.probe() if self.given_probe is None else self.given_probe

    @property
    def call(self) -> Call:
        """The call on the main inputs; the steps that read it come after the answer ran."""
        if self.observation.call is None:
            raise ValueError("the observation has no call on the main inputs")
        return self.observation.call

    @cached_property
    def returned(self) -> tuple[Tensor, ...] | str:
        """The answer's tensors, or a str saying why they are not (the ``not_tensors`` step)."""
        return as_tensors(self.call, len(self.exercise.outputs))

    @cached_property
    def expected(self) -> tuple[Tensor, ...]:
        return as_tuple(self.exercise.reference(*self.inputs.fresh()))


Step = Callable[[Context], CheckResult | None]
