"""A time limit on a learner's answer: stopped after N seconds, with a message that says so.

:func:`~qkv_lib.exercises.observer.observe` runs every answer (chapters 1 to 8) inside a
:class:`Deadline`: after :func:`limit_seconds` (``QKV_CHECK_TIMEOUT``, default 10 s) a SIGALRM
handler raises :class:`TimeUp` in the answer, a ``BaseException`` so that the answer's own
``except Exception`` cannot swallow it, and again every :data:`REPEAT` seconds until the
answer has stopped. The limit needs ``signal.setitimer``: it holds on Unix (Linux, macOS) in
the main thread, which is where a notebook runs its cells; on Windows and in other threads an
answer runs without a limit. A code running longer than Python's signal checks (one huge
matrix product) is stopped only when it returns to Python.

Nesting: a SIGALRM timer already running that ends sooner (the grader's own limit, ``qkv-course
grade``, or an outer check) is left alone, and this one defers to it. Otherwise the previous
handler and timer are put back on exit exactly, the timer less the time that has passed.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time

__all__ = ["DEFAULT_SECONDS", "TIMEOUT_ENV", "Deadline", "TimeUp", "limit_seconds", "shield"]

#: Seconds an answer may run on the checker's small inputs; it is stopped after that.
DEFAULT_SECONDS = 10.0
#: Set to a number of seconds to change the limit; ``0`` (or ``off``) runs answers unlimited.
TIMEOUT_ENV = "QKV_CHECK_TIMEOUT"
#: After the first :class:`TimeUp`, an answer that caught it is interrupted again this often.
REPEAT = 0.25

# Taken at import, before a learner's code can replace them in the modules (None on Windows).
_setitimer = getattr(signal, "setitimer", None)
_getitimer = getattr(signal, "getitimer", None)
_SIGALRM = getattr(signal, "SIGALRM", None)
_ITIMER_REAL = getattr(signal, "ITIMER_REAL", None)
_signal, _getsignal, _monotonic = signal.signal, signal.getsignal, time.monotonic


class TimeUp(BaseException):
    """Raised inside an answer whose time is up; ``except Exception`` does not catch it."""


def limit_seconds() -> float | None:
    """The time limit from ``QKV_CHECK_TIMEOUT`` (default 10 s); None for no limit.

    ``0``, a negative number, ``inf`` or ``off`` mean no limit; text that is not a number
    gives the default rather than an error, so a typo cannot break every check.
    """
    text = os.environ.get(TIMEOUT_ENV, "").strip().lower()
    if not text:
        return DEFAULT_SECONDS
    if text in ("off", "none", "no"):
        return None
    try:
        seconds = float(text)
    except ValueError:
        return DEFAULT_SECONDS
    return seconds if 0 < seconds < math.inf else None


#: The code of the functions that put state back (a handler, a timer, a mode stack): TimeUp
#: never interrupts them, and the repeated signal finds the answer again a moment later.
_SHIELDED: set = set()


def shield(*functions) -> None:
    """Never raise :class:`TimeUp` while one of ``functions`` itself runs (None is skipped)."""
    _SHIELDED.update(f.__code__ for f in functions if f is not None)


def _can_arm() -> bool:
    return _setitimer is not None and threading.current_thread() is threading.main_thread()


def _drain() -> None:
    """Entering a Python function runs the signal handlers pending so far (ours, disarmed)."""


class Deadline:
    """``with Deadline(seconds):`` raises :class:`TimeUp` in its body once ``seconds`` pass.

    ``active`` says whether a limit of its own was set (False: no limit could be set, or an
    outer timer ends sooner); ``fired`` whether the time ran out. ``seconds=None``: no limit.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.active = self.fired = False
        self._armed = False
        self._previous: tuple | None = None  # (handler, remaining, interval, started)

    def _ring(self, signum, frame) -> None:
        if self._armed and (frame is None or frame.f_code not in _SHIELDED):
            self.fired = True
            raise TimeUp

    def __enter__(self) -> Deadline:
        if self.seconds is None or not _can_arm():
            return self
        handler = _getsignal(_SIGALRM)
        remaining, interval = _getitimer(_ITIMER_REAL)
        if handler is None or 0 < remaining <= self.seconds:
            return self  # a handler set outside Python cannot be put back; a sooner timer rules
        try:
            _signal(_SIGALRM, self._ring)
        except (ValueError, OSError):  # not the main interpreter, or no SIGALRM after all
            return self
        self._previous = (handler, remaining, interval, _monotonic())
        self._armed = self.active = True
        _setitimer(_ITIMER_REAL, self.seconds, REPEAT)
        return self

    def __exit__(self, *exc_info) -> bool:
        self._armed = False  # first: from here on a late signal raises nothing
        if self._previous is None:
            return False
        handler, remaining, interval, started = self._previous
        self._previous = None
        _setitimer(_ITIMER_REAL, 0)
        _drain()  # a signal that arrived just now goes to our handler, not the previous one
        _signal(_SIGALRM, handler)
        if remaining > 0:  # the outer timer goes on where it was, less the time spent here
            left = remaining - (_monotonic() - started)
            _setitimer(_ITIMER_REAL, max(left, 1e-6), interval)
        return False


shield(Deadline.__exit__)  # it is putting the previous timer and handler back
