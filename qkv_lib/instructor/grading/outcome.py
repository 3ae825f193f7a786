"""What grading one submission produced: a status and a result per exercise (``qkv-course grade``).

The statuses and the codes a row of the gradebook can carry; :mod:`.gradebook` writes these,
:mod:`.summary` and :mod:`.feedback` read them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GRADER_CODES", "STATUSES", "ExerciseResult", "Outcome"]

#: A submission's status: graded, out of time, died, unreadable, or not this chapter.
STATUSES = ("ok", "timeout", "crashed", "corrupt", "wrong-chapter")

#: Codes only the grader gives (beside the checker's), with what they mean. A submission not
#: graded gives each of its exercises its status as the code.
GRADER_CODES: dict[str, str] = {
    "timeout": "the notebook had to be stopped before its functions could be called",
    "crashed": "the notebook's process died, or flooded its output, before that",
    "corrupt": "the file is not a readable notebook",
    "wrong-chapter": "the notebook is not the chapter being graded",
    "unreadable-output": "what the function returned could not be read back (too large, odd types)",
}


@dataclass(frozen=True)
class ExerciseResult:
    """One exercise of one submission: the points earned out of ``max_points``, and why."""

    exercise_id: str
    points: int
    max_points: int
    code: str  # the checker's code ("pass", "missing-scale", ...) or the grader's
    message: str


@dataclass(frozen=True)
class Outcome:
    """One submission graded: who, which file, the chapter it was graded as, and the results.

    ``chapter`` is the chapter detected in (or, with ``--chapter``, graded for) the notebook;
    ``results`` is empty when there was no chapter to grade it as. ``detail`` says in one line
    what went wrong for a status other than ``ok``.
    """

    student: str
    file: str
    chapter: int | None
    status: str
    results: tuple[ExerciseResult, ...] = ()
    detail: str = ""

    @property
    def score(self) -> int:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> int | None:
        return sum(r.max_points for r in self.results) if self.results else None
