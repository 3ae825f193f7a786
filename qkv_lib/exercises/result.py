"""The outcome of checking one exercise, and how it shows itself in a notebook."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass

#: Set to "1" to make a failed check raise (CI runs the answer key this way).
STRICT_ENV = "QKV_CHECK_STRICT"


class ExerciseFailed(AssertionError):
    """Raised by a failed check when ``QKV_CHECK_STRICT=1``."""


@dataclass(frozen=True)
class CheckResult:
    """``passed``, a short mistake ``code`` (``"pass"`` when correct) and a friendly ``message``."""

    exercise_id: str
    passed: bool
    code: str
    message: str

    def line(self) -> str:
        """One plain-text line: a tick or a cross, the exercise, the code and the message."""
        if self.passed:
            return f"✔ {self.exercise_id}: {self.message}"
        return f"✘ {self.exercise_id} [{self.code}]: {self.message}"

    def __str__(self) -> str:
        return self.line()

    def __repr__(self) -> str:
        return self.line()

    def _repr_html_(self) -> str:
        # Its own text colour: the light box stays readable in a dark theme too.
        colour, background = ("#0b6e4f", "#e6f4ee") if self.passed else ("#a3320b", "#fbeae5")
        label = "Correct" if self.passed else f"Not yet ({html.escape(self.code)})"
        return (
            f'<div class="qkv-check" data-code="{html.escape(self.code)}" style="border-left:4px '
            f"solid {colour};background:{background};color:#1b1b1b;padding:0.4em 0.8em;"
            f'margin:0.3em 0;font-family:sans-serif"><strong style="color:{colour}">{label}'
            f'</strong> <code style="color:inherit;background:none">'
            f"{html.escape(self.exercise_id)}</code>: {html.escape(self.message)}</div>"
        )

    def raise_if_strict(self) -> CheckResult:
        """Raise :class:`ExerciseFailed` if the check failed and strict mode is on."""
        if not self.passed and os.environ.get(STRICT_ENV, "") not in ("", "0"):
            raise ExerciseFailed(self.line())
        return self
