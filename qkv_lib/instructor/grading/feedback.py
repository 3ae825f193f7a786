"""``qkv-course grade --feedback DIR``: one small HTML page per submission, for the learner.

``<student>__<stem>.html`` gives the chapter, the status, the score and each exercise's
result with the checker's message. It is self-contained (no script, no external file) and
every piece of text is HTML-escaped: names, file names and messages may come from the
learner.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ...exercises import EXERCISES
from .outcome import Outcome

__all__ = ["FeedbackPages", "page"]

_STATUS_TEXT = {
    "ok": "graded",
    "timeout": "stopped: it ran out of time",
    "crashed": "stopped: its process ended early",
    "corrupt": "not graded: the file is not a readable notebook",
    "wrong-chapter": "not graded: not the chapter expected",
}
_STYLE = (
    "body{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
    "padding:.4em;text-align:left;vertical-align:top}.pass{color:#0b6e4f}.fail{color:#a3320b}"
)


def page(outcome: Outcome) -> str:
    """The feedback page of ``outcome`` as HTML text."""
    e = html.escape
    chapter = "unknown" if outcome.chapter is None else str(outcome.chapter)
    score = f"{outcome.score} / {outcome.max_score}" if outcome.max_score is not None else "-"
    status = f"{outcome.status} ({_STATUS_TEXT.get(outcome.status, '')})"
    facts = [("Student", outcome.student), ("File", outcome.file), ("Chapter", chapter)]
    facts += [("Status", status), ("Score", score)]
    if outcome.detail:
        facts.append(("Details", outcome.detail))
    rows = []
    for r in outcome.results:
        title = EXERCISES[r.exercise_id].title if r.exercise_id in EXERCISES else ""
        css = "pass" if r.code == "pass" else "fail"
        rows.append(
            f"<tr><td><code>{e(r.exercise_id)}</code><br>{e(title)}</td>"
            f"<td>{r.points} / {r.max_points}</td><td class='{css}'>{e(r.code)}</td>"
            f"<td>{e(r.message)}</td></tr>"
        )
    table = (
        "<table><tr><th>Exercise</th><th>Points</th><th>Result</th><th>Message</th></tr>"
        + "".join(rows)
        + "</table>"
        if rows
        else "<p>No exercise was graded.</p>"
    )
    items = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts)
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>Feedback: {e(outcome.student)}, {e(outcome.file)}</title>"
        f"<style>{_STYLE}</style></head>\n<body><h1>Feedback on {e(outcome.file)}</h1>"
        f"<dl>{items}</dl>{table}</body></html>\n"
    )


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("._") or "submission"


class FeedbackPages:
    """Writes the pages into ``folder``; two submissions never share a page."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._used: set[str] = set()

    def write(self, outcome: Outcome) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"{_safe(outcome.student)}__{_safe(Path(outcome.file).stem)}"
        name, n = stem, 1
        while name in self._used:
            n += 1
            name = f"{stem}__{n}"
        self._used.add(name)
        path = self.folder / f"{name}.html"
        path.write_text(page(outcome), encoding="utf-8")
        return path
