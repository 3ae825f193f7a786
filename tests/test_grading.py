"""``qkv-course grade`` end to end, on submissions made from chapter 4 (and chapter 1).

One grading run over a folder of many submissions (``--jobs 2``, module-scoped) feeds most
assertions: the answer key, the learner's copy, classic mistakes, notebooks that exit, flood
their output, are not JSON or not of any chapter, rename or break a function, print 30 MB,
drop their check cells, or tamper with the checker. Two that loop forever get a short
``--timeout`` in a run of their own. Then: Ctrl-C keeps a valid gradebook, and ``--resume``
grades only what is missing, ``--jobs 1`` giving the rows ``--jobs 2`` gave.
"""

import copy
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from grading_helpers import BASE, CH4, MAX4, codes, points, read_gradebook, write_notebook

from qkv_lib.instructor.chapters import exercise_cells
from qkv_lib.instructor.grading import grade
from qkv_lib.instructor.student import student_copy

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
TIMEOUT = 30.0  # generous: no submission of the main run should come near it
# For the two that loop: cells get 30 s (a lean notebook needs ~3 s alone, ~15 s on a busy
# machine running the suite on every core), the harvest 10 s (limits.cell_budget).
SHORT = 40.0


def _chapter(name: str) -> nbformat.NotebookNode:
    return nbformat.read(CHAPTERS / name, as_version=4)


KEY = _chapter("04_attention_flow.ipynb")


def _lean() -> nbformat.NotebookNode:
    """Chapter 4 cut to its title, its set-up cell, its exercise cells and their check cells."""
    nb = copy.deepcopy(KEY)
    exercises = {c.index for c in exercise_cells(nb)}
    setup = {i for i, c in enumerate(nb.cells) if "setup_notebook" in c.source}
    keep = {0} | setup | exercises | {i + 1 for i in exercises}
    nb.cells = [c for i, c in enumerate(nb.cells) if i in keep]
    return nb


def _solve(nb, exercise_id: str, body: str) -> nbformat.NotebookNode:
    """``nb`` with the lines between the solution markers of ``exercise_id`` set to ``body``."""
    for found in exercise_cells(nb):
        if found.exercise_id == exercise_id:
            cell = nb.cells[found.index]
            lines = cell.source.splitlines()
            body_lines = ["    " + line for line in body.splitlines()]
            cell.source = "\n".join([*lines[: found.begin + 1], *body_lines, *lines[found.end :]])
    return nb


def _with_cell(nb, source: str, at: int | None = None) -> nbformat.NotebookNode:
    nb.cells.insert(len(nb.cells) if at is None else at, nbformat.v4.new_code_cell(source))
    return nb


def _edit(nb, old: str, new: str) -> nbformat.NotebookNode:
    for cell in nb.cells:
        cell.source = cell.source.replace(old, new)
    return nb


MISTAKES = {
    "scores": "return K @ Q.transpose(-2, -1) / math.sqrt(Q.shape[-1])",
    "attention_weights": "return torch.softmax(Q @ K.mT / math.sqrt(Q.shape[-1]), dim=-2)",
    "attention": "return torch.softmax(Q @ K.transpose(-2, -1), dim=-1) @ V",
    "causal_mask": "return torch.ones(T, T, dtype=torch.bool).triu()",
    "masked_attention": "return torch.softmax(Q @ K.mT / math.sqrt(Q.shape[-1]), -1) * mask @ V",
}
WRONG = {
    "scores": "return Q",
    "attention_weights": "return K",
    "attention": "return V",
    "causal_mask": "return torch.zeros(T, T, dtype=torch.bool)",
    "masked_attention": "return V",
}
TAMPER = """
import torch
import qkv_lib
import qkv_lib.exercises as ex

def always_pass(exercise_id, answer):
    return ex.CheckResult(exercise_id, True, "pass", "Correct. Well done!")

qkv.check = qkv_lib.check = ex.check = always_pass
for exercise in list(ex.EXERCISES.values()):
    object.__setattr__(exercise, "reference", lambda *args, **kwargs: args[0])
    object.__setattr__(exercise, "mistakes", ())
    ex.EXERCISES[exercise.id] = exercise
torch.allclose = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
torch.equal = torch.Tensor.equal = lambda *args, **kwargs: True
"""
# The notebooks that never end sleep in their loops: the grader's limits are wall-clock time,
# the same for a busy loop, and sleeping leaves the cores to the rest of the suite.
LOOP = """
import time
while True:
    time.sleep(0.05)
"""
STUBBORN = """
import time
while True:
    try:
        while True:
            time.sleep(0.05)
    except BaseException:
        pass
"""
FLOOD = """
import os
while True:
    try:
        os.write(1, b"x" * 1_000_000)
    except OSError:
        pass
"""


def _submissions() -> dict[str, nbformat.NotebookNode | str]:
    """Student -> the chapter-4 notebook they hand in (raw text for a corrupt one)."""
    mistakes, tamper = _lean(), _with_cell(_lean(), TAMPER, at=2)
    for exercise_id in CH4:
        _solve(mistakes, exercise_id, MISTAKES[exercise_id])
        _solve(tamper, exercise_id, WRONG[exercise_id])
    no_checks = _lean()
    no_checks.cells = [c for c in no_checks.cells if not c.source.startswith("qkv.check(")]
    return {
        "key": copy.deepcopy(KEY),
        "stubs": student_copy(_lean(), 4),
        "mistakes": mistakes,
        "exits": _with_cell(_lean(), "import os\nos._exit(3)", at=2),
        "floods": _with_cell(_lean(), FLOOD, at=2),
        "corrupt": '{"cells": [{"cell_type": "code", "source": "x = ',
        "renamed": _edit(_lean(), "def attention(", "def my_attention("),
        "broken": _solve(_lean(), "attention_weights", "return torch.softmax(Q @ K.mT, dim=-1"),
        "noisy": _with_cell(_lean(), "for _ in range(30):\n    print('x' * 1_000_000)", at=2),
        "no-checks": no_checks,
        "tamper": tamper,
    }


ALL_PASS = codes()
EVERY = {i: "" for i in CH4}
#: student -> (status, score, the codes of the chapter-4 exercises; None: checked apart)
EXPECTED = {
    "key": ("ok", MAX4, ALL_PASS),
    "stubs": ("ok", 0, codes(**dict.fromkeys(CH4, "not-attempted"))),
    "mistakes": (
        "ok",
        0,
        codes(
            scores="transposed-scores",
            attention_weights="softmax-wrong-axis",
            attention="missing-scale",
            causal_mask="mask-inverted",
            masked_attention="mask-after-softmax",
        ),
    ),
    "exits": ("crashed", 0, codes(**dict.fromkeys(CH4, "crashed"))),
    "floods": ("crashed", 0, codes(**dict.fromkeys(CH4, "crashed"))),
    "corrupt": ("corrupt", 0, codes(**EVERY)),
    "renamed": ("ok", MAX4 - points("attention"), codes(attention="not-attempted")),
    "broken": (
        "ok",
        MAX4 - points("attention_weights"),
        codes(attention_weights="not-attempted"),
    ),
    "noisy": ("ok", MAX4, ALL_PASS),
    "no-checks": ("ok", MAX4, ALL_PASS),
    "tamper": ("ok", 0, None),
    "carol": ("ok", 1, codes(**EVERY)),  # chapter 1's answer key
    "notes": ("wrong-chapter", 0, codes(**EVERY)),  # no title: no chapter to grade it as
}


#: Out of time: with ``SHORT``, in a run of their own so the main run never waits for them.
LOOPING = {
    "loops": (lambda: _with_cell(_lean(), LOOP), ("timeout", MAX4, ALL_PASS)),
    # Swallows every alarm: the grader kills it at SHORT, before any harvest.
    "stubborn": (
        lambda: _with_cell(_lean(), STUBBORN),
        ("timeout", 0, codes(**dict.fromkeys(CH4, "timeout"))),
    ),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Every submission above graded in one run: ``--jobs 2``, no ``--chapter``, feedback."""
    root = tmp_path_factory.mktemp("grading")
    subs = root / "submissions"
    for student, nb in _submissions().items():
        write_notebook(subs / student / "ch4.ipynb", nb)
    write_notebook(subs / "carol" / "ch1.ipynb", _chapter("01_qkv_as_retrieval.ipynb"))
    write_notebook(
        subs / "notes.ipynb", nbformat.from_dict({**_lean(), "cells": _lean().cells[1:]})
    )
    out = root / "grades.csv"
    summary = grade([subs], out, timeout=TIMEOUT, jobs=2, feedback=root / "feedback")
    header, rows = read_gradebook(out)
    by_student = {r["student"]: r for r in rows}
    return SimpleNamespace(
        root=root, subs=subs, summary=summary, header=header, rows=rows, by_student=by_student
    )


def test_the_columns_are_the_union_of_the_chapters_in_catalogue_order(run):
    ids = ["soft_lookup", *CH4]
    assert run.header == BASE + [c for i in ids for c in (i, f"{i}_code")]
    assert sorted(r["file"] for r in run.rows) == sorted(
        [f"{s}/ch4.ipynb" for s in EXPECTED if s not in ("carol", "notes")]
        + ["carol/ch1.ipynb", "notes.ipynb"]
    )  # every submission exactly once


@pytest.mark.parametrize("student", list(EXPECTED))
def test_each_submission_gets_its_row(run, student):
    status, score, codes = EXPECTED[student]
    got = run.by_student[student]
    assert (got["status"], int(got["score"])) == (status, score), got
    if codes is not None:
        assert tuple(got[f"{i}_code"] for i in CH4) == codes, got
    if student not in ("corrupt", "notes", "carol"):
        assert (got["chapter"], got["max_score"]) == ("4", str(MAX4))
        assert got["soft_lookup"] == got["soft_lookup_code"] == ""  # not part of chapter 4
        earned = sum(int(got[i]) for i in CH4)
        assert earned == score


def test_a_notebook_out_of_time_keeps_what_was_harvested(tmp_path):
    for student, (make, _) in LOOPING.items():
        write_notebook(tmp_path / "subs" / student / "ch4.ipynb", make())
    grade([tmp_path / "subs"], tmp_path / "grades.csv", timeout=SHORT, jobs=2)
    _, rows = read_gradebook(tmp_path / "grades.csv")
    for got in rows:
        status, score, codes = LOOPING[got["student"]][1]
        assert (got["status"], int(got["score"])) == (status, score), got
        assert tuple(got[f"{i}_code"] for i in CH4) == codes, got


def test_tampering_with_the_checker_in_the_notebook_earns_nothing(run):
    got = run.by_student["tamper"]
    assert got["score"] == "0" and "pass" not in {got[f"{i}_code"] for i in CH4}, got


def test_another_chapter_is_graded_as_that_chapter(run):
    got = run.by_student["carol"]
    assert (got["chapter"], got["max_score"], got["soft_lookup"], got["soft_lookup_code"]) == (
        "1", "1", "1", "pass",
    )  # fmt: skip


def test_the_summary_counts_what_the_gradebook_holds(run):
    text = str(run.summary)
    for status, count in [("ok", 9), ("crashed", 2), ("corrupt", 1)]:
        assert f"  {status:<15}{count:>5}" in text
    assert "timeout" not in text
    assert "wrong-chapter      1" in text and "--chapter N grades every notebook" in text
    assert "chapter 1: mean score 1.00 / 1 over 1 ok rows" in text
    ok_scores = [s for who, (status, s, _) in EXPECTED.items() if status == "ok" and who != "carol"]
    mean = sum(ok_scores) / len(ok_scores)
    assert f"chapter 4: mean score {mean:.2f} / {MAX4} over {len(ok_scores)} ok rows" in text


def test_each_submission_has_its_feedback_page(run):
    pages = sorted(p.name for p in (run.root / "feedback").iterdir())
    assert len(pages) == len(EXPECTED) and "mistakes__ch4.html" in pages
    text = (run.root / "feedback" / "mistakes__ch4.html").read_text()
    assert "missing-scale" in text and "The scores are not scaled" in text and f"0 / {MAX4}" in text


def test_ctrl_c_keeps_the_rows_and_resume_grades_only_the_rest(run, tmp_path):
    small = tmp_path / "small"
    for student in ("corrupt", "mistakes", "renamed"):
        shutil.copytree(run.subs / student, small / student)
    out, scratch = tmp_path / "grades.csv", tmp_path / "tmp"
    scratch.mkdir()
    command = [sys.executable, "-m", "qkv_lib", "grade", str(small), "--out", str(out)]
    env = {**os.environ, "TMPDIR": str(scratch)}
    grader = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60

    def first_row_written_and_a_child_running() -> bool:
        rows = len(out.read_text().splitlines()) - 1 if out.exists() else 0
        return rows >= 1 and bool(list(scratch.glob("qkv-grade-*")))

    while not first_row_written_and_a_child_running():
        assert grader.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    grader.send_signal(signal.SIGINT)
    _, err = grader.communicate(timeout=30)
    assert grader.returncode == 130 and err.decode().strip().endswith("qkv-course: interrupted")
    assert not list(scratch.glob("qkv-grade-*"))  # the running child was stopped, its folder gone
    _, before = read_gradebook(out)
    assert 1 <= len(before) < 3 and before[0]["status"] == "corrupt"

    summary = grade([small], out, timeout=TIMEOUT, jobs=1, resume=True)
    header, after = read_gradebook(out)
    assert (summary.kept, summary.graded) == (len(before), 3 - len(before))
    assert after[: len(before)] == before and len({r["file"] for r in after}) == 3 == len(after)
    for got in after:  # --jobs 1 gives the rows --jobs 2 gave
        assert got == {k: run.by_student[got["student"]][k] for k in header}
