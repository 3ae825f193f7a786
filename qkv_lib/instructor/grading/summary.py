"""What ``qkv-course grade`` prints: a short table of the gradebook, and a progress line.

:class:`Summary` counts the rows per status, gives the mean score of the ``ok`` rows per
chapter and, for each exercise, the most frequent code other than ``pass``. :class:`Progress`
redraws one line on stderr as submissions finish, e.g. ``[12/30] alice/ch4.ipynb ok 5/5``.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

from .outcome import STATUSES

__all__ = ["Progress", "Summary"]


@dataclass
class Summary:
    """The gradebook at ``out`` after a run: ``rows`` are its rows, as text cells by column."""

    out: str
    rows: list[dict[str, str]]
    exercise_ids: list[str]
    graded: int = 0  # submissions graded by this run
    kept: int = 0  # rows kept from the gradebook by --resume
    notes: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.rows)

    def means(self) -> dict[int, tuple[float, int, int]]:
        """Per chapter: (mean score, max score, number of rows) over the ``ok`` rows."""
        by_chapter: dict[int, list[dict[str, str]]] = {}
        for r in self.rows:
            if r["status"] == "ok" and r["chapter"] and r["max_score"]:
                by_chapter.setdefault(int(r["chapter"]), []).append(r)
        return {
            chapter: (
                sum(int(r["score"]) for r in rows) / len(rows),
                int(rows[0]["max_score"]),
                len(rows),
            )
            for chapter, rows in sorted(by_chapter.items())
        }

    def top_codes(self) -> dict[str, tuple[str, int] | None]:
        """Per exercise: its most frequent code other than ``pass``, with its count."""
        top = {}
        for exercise_id in self.exercise_ids:
            codes = Counter(r[f"{exercise_id}_code"] for r in self.rows)
            codes.pop("pass", None)
            codes.pop("", None)
            top[exercise_id] = codes.most_common(1)[0] if codes else None
        return top

    def __str__(self) -> str:
        kept = f", {self.kept} kept from before (--resume)" if self.kept else ""
        lines = [f"{self.out}: {len(self.rows)} rows ({self.graded} graded now{kept})", ""]
        lines += [f"  {'status':<15}{'rows':>5}"]
        lines += [f"  {s:<15}{self.count(s):>5}" for s in STATUSES if self.count(s)]
        means = self.means()
        if means:
            lines.append("")
            for chapter, (mean, top, n) in means.items():
                lines.append(f"  chapter {chapter}: mean score {mean:.2f} / {top} over {n} ok rows")
        if self.exercise_ids:
            width = max(len(i) for i in self.exercise_ids) + 2
            lines += ["", f"  {'exercise':<{width}}most frequent code other than pass"]
            for exercise_id, found in self.top_codes().items():
                text = "-" if found is None else f"{found[0]} ({found[1]})"
                lines.append(f"  {exercise_id:<{width}}{text}")
        lines += [f"\n{note}" for note in self.notes]
        return "\n".join(lines)


class Progress:
    """``[done/total] file status score/max`` redrawn on one line of ``stream``, if enabled."""

    def __init__(self, total: int, enabled: bool, stream: TextIO | None = None) -> None:
        self.total, self.enabled, self.done = total, enabled, 0
        self.stream = stream if stream is not None else sys.stderr
        self._width = 0

    def step(self, cells: dict[str, str]) -> None:
        self.done += 1
        if not self.enabled:
            return
        score = f" {cells['score']}/{cells['max_score']}" if cells["max_score"] else ""
        text = f"[{self.done}/{self.total}] {cells['file']} {cells['status']}{score}"
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def finish(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()
