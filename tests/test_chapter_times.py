"""The time each chapter states is an honest estimate for a newcomer, and adds up in the intro.

Each chapter's Prerequisites say "- Time: about N minutes of reading and running, plus M for the
exercises." The estimate a reader can check: prose at 100 words a minute and 1.5 minutes per
code cell (read it, run it, look at what it prints) give N, within a margin for how hard the
prose is; M is at least the minutes the catalogue gives the chapter's graded exercises.
"""

import re
from pathlib import Path

import nbformat
import pytest

from qkv_lib.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
TIME = re.compile(
    r"^- Time: about (\d+) minutes of reading and running, plus (\d+) for the exercises\.$", re.M
)
WORDS_PER_MINUTE, MINUTES_PER_CELL = 100, 1.5


def stated(nb) -> tuple[int, int]:
    found = [
        m.groups() for c in nb.cells if c.cell_type == "markdown" for m in TIME.finditer(c.source)
    ]
    assert len(found) == 1, "one '- Time: about N minutes of reading and running, plus M ...'"
    return tuple(int(n) for n in found[0])


def reading_estimate(nb) -> float:
    """Minutes to read the prose and run the code cells a reader sees (not the exercises')."""
    words = sum(len(c.source.split()) for c in nb.cells if c.cell_type == "markdown")
    shown = [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and not {"remove-cell", "qkv-exercise"} & set(c.metadata.get("tags", []))
        and not c.source.startswith("qkv.check(")
    ]
    return words / WORDS_PER_MINUTE + MINUTES_PER_CELL * len(shown)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_states_an_honest_time(path):
    nb = nbformat.read(path, as_version=4)
    reading, exercises = stated(nb)
    estimate = reading_estimate(nb)
    assert 0.8 * estimate <= reading <= 1.3 * estimate, (reading, round(estimate))
    chapter = int(path.name.split("_", 1)[0])
    graded = sum(e.minutes for e in EXERCISES.values() if e.chapter == chapter)
    assert exercises >= graded, f"the graded exercises alone take {graded} minutes"


def test_the_intro_gives_the_chapters_total():
    total = sum(sum(stated(nbformat.read(p, as_version=4))) for p in CHAPTERS)
    intro = (ROOT / "intro.md").read_text(encoding="utf-8")
    hours = re.search(r"about (\d+(?:\.\d)?) hours", intro)
    assert hours, "the intro says how many hours the course takes"
    assert abs(float(hours.group(1)) - total / 60) <= 0.5, (hours.group(1), total / 60)
