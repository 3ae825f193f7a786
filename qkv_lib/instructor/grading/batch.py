"""``qkv-course grade``: a folder of submissions into a CSV gradebook, none lost.

:func:`grade` finds the notebooks (:mod:`.submissions`), opens the gradebook
(:mod:`.gradebook`), runs up to ``jobs`` submissions at once, each in a child process of its
own (:mod:`.execute`), and writes each row the moment it is judged, from this thread only.
Ctrl-C (or SIGTERM) stops starting submissions, kills the running children and keeps every
row written so far; ``KeyboardInterrupt`` then reaches the caller (the CLI exits 130).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

from ...exercises import EXERCISES
from ..chapters import chapter_exercises
from ..errors import UsageError
from .execute import grade_submission
from .feedback import FeedbackPages
from .gradebook import Gradebook, columns, row
from .judge import lost
from .outcome import Outcome
from .submissions import Submission, submissions
from .summary import Progress, Summary

__all__ = ["grade"]


def _exercise_ids(subs: list[Submission]) -> list[str]:
    """The exercises of every chapter graded in the run, in catalogue order."""
    chapters = {s.chapter for s in subs if s.chapter is not None}
    return [e.id for e in EXERCISES.values() if e.chapter in chapters]


def _not_run(sub: Submission) -> Outcome:
    """The row of a notebook that is not run: corrupt, or of the wrong chapter."""
    ids = chapter_exercises(sub.chapter) if sub.chapter is not None else []
    results = lost(ids, sub.status, f"Not graded: {sub.detail}.")
    return Outcome(sub.student, sub.file, sub.detected, sub.status, results, sub.detail)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the run like Ctrl-C does (main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(todo: list[Submission], timeout: float, jobs: int, on_done) -> None:
    """Grade ``todo`` with ``jobs`` threads, calling ``on_done(outcome)`` here as each ends."""
    cancel = threading.Event()
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="qkv-grade")
    pending: set[Future] = set()
    try:
        for sub in todo:
            if sub.status is not None:
                on_done(_not_run(sub))
            else:
                ex = chapter_exercises(sub.chapter)
                pending.add(pool.submit(grade_submission, sub, ex, timeout, cancel))
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                on_done(future.result())
    except BaseException:
        cancel.set()  # the running children are killed, the waiting ones never start
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def grade(
    paths: list[Path],
    out: Path,
    *,
    chapter: int | None = None,
    timeout: float = 120.0,
    jobs: int = 1,
    resume: bool = False,
    feedback: Path | None = None,
    progress: bool = False,
) -> Summary:
    """Grade every notebook under ``paths`` into the CSV ``out``; return the summary.

    Each submission runs in its own child process for at most ``timeout`` seconds, ``jobs``
    at a time. ``chapter`` grades every notebook as that chapter (others: ``wrong-chapter``);
    by default each notebook's chapter is detected. ``resume`` keeps the rows of ``out`` and
    grades only the files not in it. ``feedback`` is a folder for one HTML page per
    submission. UsageError for a bad PATH, no notebook, or a gradebook with other columns.
    """
    if feedback is not None and Path(feedback).exists() and not Path(feedback).is_dir():
        raise UsageError(f"--feedback {feedback}: that is a file, not a folder")
    subs = submissions(list(paths), chapter)
    ids = _exercise_ids(subs)
    pages = FeedbackPages(feedback) if feedback is not None else None
    with Gradebook(Path(out), columns(ids), resume) as book:
        done = book.files
        todo = [s for s in subs if s.file not in done]
        meter = Progress(len(todo), progress)

        def on_done(outcome: Outcome) -> None:
            cells = row(outcome, ids)
            book.write(cells)
            if pages is not None:
                pages.write(outcome)
            meter.step(cells)

        try:
            with _sigterm_as_interrupt():
                _run(todo, timeout, jobs, on_done)
        finally:
            meter.finish()
        rows = list(book.rows)
    notes = []
    undetected = sum(s.status == "wrong-chapter" and s.chapter is None for s in todo)
    if undetected:
        notes.append(
            f"{undetected} notebook(s) are wrong-chapter: no chapter with exercises found in "
            "them (--chapter N grades every notebook as chapter N)"
        )
    return Summary(str(out), rows, ids, graded=len(todo), kept=book.kept, notes=notes)
