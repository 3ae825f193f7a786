"""Grading one submission from the outside: a scratch folder, a child process, a verdict.

The parent side of ``qkv-course grade`` for one notebook: a fresh scratch folder holding a
copy of the notebook and the grader's inputs for each exercise, then the child
(:mod:`.runner`), watched by :mod:`.child` until it ends or is stopped. How it ended gives the
status (``ok``, ``timeout``, ``crashed``), and whatever it managed to record is judged
(:mod:`.judge`) before the folder is removed.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from ...exercises import EXERCISES
from .child import runner_command, watch
from .judge import Given, judge_outputs
from .limits import NOTE_MAX, OUTPUT_KILL, cell_budget
from .outcome import Outcome
from .submissions import Submission

__all__ = ["Cancelled", "grade_submission"]


class Cancelled(Exception):
    """The run was interrupted while this submission was being graded."""


@dataclass(frozen=True)
class Ending:
    """How the child ended: a status (ok, timeout, crashed) and one line saying why."""

    status: str
    detail: str = ""


def _done(out: Path) -> dict | None:
    """``done.json`` as the runner writes it, or None."""
    path = out / "done.json"
    try:
        if path.stat().st_size > NOTE_MAX:
            return None
        done = json.loads(path.read_text(encoding="utf-8"))
        cells, failed, timed_out = done["cells"], done["failed_cells"], done["timed_out"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if type(cells) is int and type(timed_out) is bool and isinstance(failed, list):
        return done
    return None


def _ending(watched: tuple[str, str], out: Path, timeout: float) -> Ending:
    how, why = watched
    if how == "cancelled":
        raise Cancelled
    if how == "timeout":
        return Ending("timeout", f"still running after {timeout:g} s: stopped")
    if how == "output":
        limit = OUTPUT_KILL // 1_000_000
        return Ending("crashed", f"wrote more than {limit} MB of output: stopped")
    done = _done(out)
    if done is None:
        return Ending("crashed", f"the notebook's process ended before it finished ({why})")
    failed = done["failed_cells"]
    shown = ", ".join(map(str, failed[:10])) + (", ..." if len(failed) > 10 else "")
    errors = f"; {len(failed)} raised an error (cells {shown}, counted from 0)" if failed else ""
    if done["timed_out"]:
        budget = cell_budget(timeout)
        return Ending("timeout", f"cells stopped after {budget:g} s{errors}")
    return Ending("ok", f"{done['cells']} code cells run{errors}")


def _send_inputs(folder: Path, exercise_ids: list[str]) -> dict[str, Given]:
    folder.mkdir()
    given = {}
    for exercise_id in exercise_ids:
        exercise = EXERCISES[exercise_id]
        inputs = exercise.inputs()
        probe = exercise.probe() if exercise.probe is not None else None
        torch.save(inputs.to_payload(), folder / f"{exercise_id}.pt")
        if probe is not None:
            torch.save(probe.to_payload(), folder / f"{exercise_id}.probe.pt")
        given[exercise_id] = (inputs, probe)
    return given


def grade_submission(
    submission: Submission, exercise_ids: list[str], timeout: float, cancel: threading.Event
) -> Outcome:
    """Run ``submission`` in a child process and judge every exercise in ``exercise_ids``."""
    if cancel.is_set():
        raise Cancelled
    scratch = Path(tempfile.mkdtemp(prefix="qkv-grade-"))
    try:
        shutil.copyfile(submission.path, scratch / "submission.ipynb")
        given = _send_inputs(scratch / "in", exercise_ids)
        (scratch / "out").mkdir()
        watched = watch(runner_command(timeout, exercise_ids), scratch, timeout, cancel)
        ending = _ending(watched, scratch / "out", timeout)
        if ending.status == "ok":
            missing = ("not-attempted", "Nothing was recorded for this exercise.")
        else:
            missing = (ending.status, f"Not graded: {ending.detail}.")
        results = judge_outputs(scratch / "out", given, *missing)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    chapter = submission.detected if submission.detected is not None else submission.chapter
    return Outcome(
        submission.student, submission.file, chapter, ending.status, results, ending.detail
    )
