"""The time limit on answers: a slow answer is stopped with "took longer than N s".

``observe`` runs each answer under :class:`qkv_lib.exercises.deadline.Deadline`, a SIGALRM
timer set from ``QKV_CHECK_TIMEOUT`` (default 10 s). It must nest with the grader's own
SIGALRM limit (``qkv_lib.instructor.grading.guards.Alarm``), which runs ``observe`` in its
child process: a sooner outer timer is left alone and its exception goes through; a later
one is put back, less the time spent. Off the main thread there is no limit.
"""

from __future__ import annotations

import math
import signal
import threading
import time

import pytest
import torch

import qkv_lib as qkv
from qkv_lib.exercises import EXERCISES, Observation, judge, observe
from qkv_lib.exercises.deadline import DEFAULT_SECONDS, TIMEOUT_ENV, Deadline, limit_seconds
from qkv_lib.instructor.grading.guards import Alarm, OutOfTime

#: The checker's own work beyond the limit, on a loaded two-core machine.
SLACK = 3.0


def scores(Q, K):
    return Q @ K.mT / math.sqrt(Q.size(-1))


def loops(Q, K):
    while True:
        pass


def sleeps(Q, K):
    time.sleep(30)


def loops_catching_exceptions(Q, K):
    while True:
        try:
            while True:
                pass
        except Exception:  # a learner's catch-all: the time limit is not an Exception
            pass


class Outer(BaseException):
    """What an outer time limit raises, like the grader's OutOfTime."""


@pytest.fixture
def limit(monkeypatch):
    monkeypatch.setenv(TIMEOUT_ENV, "0.2")
    return 0.2


@pytest.fixture
def no_alarm():
    """The test's own SIGALRM handler and timer are undone, whatever happens."""
    handler = signal.getsignal(signal.SIGALRM)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, handler)


def timed(exercise_id, answer):
    start = time.monotonic()
    result = qkv.check(exercise_id, answer)
    return result, time.monotonic() - start


@pytest.mark.parametrize(
    "text, seconds",
    [
        (None, DEFAULT_SECONDS),
        ("", DEFAULT_SECONDS),
        ("2.5", 2.5),
        (" 30 ", 30.0),
        ("0", None),
        ("-1", None),
        ("inf", None),
        ("off", None),
        ("ten", DEFAULT_SECONDS),
    ],
)
def test_the_limit_comes_from_the_environment(monkeypatch, text, seconds):
    if text is None:
        monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    else:
        monkeypatch.setenv(TIMEOUT_ENV, text)
    assert limit_seconds() == seconds
    assert DEFAULT_SECONDS == 10.0


@pytest.mark.parametrize("answer", [loops, sleeps, loops_catching_exceptions])
def test_a_slow_answer_is_stopped_and_told_the_limit(limit, answer):
    result, elapsed = timed("scores", answer)
    assert result.code == "too-slow" and not result.passed
    assert "took longer than 0.2 s" in result.message and TIMEOUT_ENV in result.message
    assert limit <= elapsed < limit + SLACK
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL


def test_the_main_call_and_the_probe_share_one_limit(limit):
    main = EXERCISES["attention"].inputs().args[0]

    def attention(Q, K, V):  # fails fast on the main inputs, never ends on the probe's
        if Q.shape == main.shape:
            raise ValueError("not on these sizes")
        while True:
            pass

    result, elapsed = timed("attention", attention)
    assert result.code == "error" and "ValueError" in result.message
    assert elapsed < limit + SLACK
    observation = observe(EXERCISES["attention"], attention)
    assert observation.call.error is not None and observation.probe.timed_out == limit


def test_a_right_answer_under_the_limit_passes(limit):
    def slow_but_right(Q, K):
        time.sleep(0.05)
        return scores(Q, K)

    assert timed("scores", slow_but_right)[0].code == "pass"


def test_no_limit_when_switched_off(monkeypatch):
    monkeypatch.setenv(TIMEOUT_ENV, "0")

    def slow_but_right(Q, K):
        time.sleep(0.3)
        return scores(Q, K)

    assert timed("scores", slow_but_right)[0].code == "pass"


def test_a_timed_out_observation_is_judged_the_same_after_a_payload_trip(limit, tmp_path):
    exercise = EXERCISES["scores"]
    observation = observe(exercise, loops)
    assert observation.call.timed_out == limit and observation.call.value is None
    torch.save(observation.to_payload(), tmp_path / "o.pt")
    loaded = Observation.from_payload(torch.load(tmp_path / "o.pt", weights_only=True))
    assert judge(exercise, loaded) == qkv.check("scores", loops)


def test_a_later_outer_timer_and_its_handler_are_put_back(limit, no_alarm):
    rang = []
    signal.signal(signal.SIGALRM, lambda signum, frame: rang.append(signum))
    signal.setitimer(signal.ITIMER_REAL, 5.0)
    result, elapsed = timed("scores", loops)
    remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    assert result.code == "too-slow" and not rang
    assert 5.0 - elapsed - 0.5 < remaining <= 5.0 - elapsed + 0.01
    assert signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)
    signal.setitimer(signal.ITIMER_REAL, 0.01)  # the outer handler still answers its signal
    time.sleep(0.2)
    assert rang == [signal.SIGALRM]


def test_a_sooner_outer_timer_is_left_alone_and_its_exception_goes_through(limit, no_alarm):
    def ring(signum, frame):
        raise Outer

    signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    start = time.monotonic()
    with pytest.raises(Outer):
        observe(EXERCISES["scores"], sleeps)
    assert time.monotonic() - start < 0.1 + SLACK
    assert signal.getsignal(signal.SIGALRM) is ring


def test_the_graders_alarm_stops_an_answer_when_it_ends_first(no_alarm, monkeypatch):
    """As in the grader's child: ``observe`` inside ``Alarm.running(HARVEST_SECONDS)``."""
    monkeypatch.setenv(TIMEOUT_ENV, "10")  # the default, as long as the grader's own limit
    alarm = Alarm()
    with pytest.raises(OutOfTime):
        with alarm.running(0.2):
            observe(EXERCISES["scores"], loops_catching_exceptions)
    assert alarm.fired and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_inside_a_longer_grader_alarm_the_answer_gets_its_own_limit(limit, no_alarm):
    alarm = Alarm()
    with alarm.running(5.0):
        observation = observe(EXERCISES["scores"], loops)
        remaining, interval = signal.getitimer(signal.ITIMER_REAL)
        handler = signal.getsignal(signal.SIGALRM)
    assert observation.call.timed_out == limit and not alarm.fired
    assert 4.0 < remaining < 5.0 and interval == 0.5
    assert handler == alarm._ring


def test_off_the_main_thread_the_answer_runs_without_a_limit(limit):
    def slow_but_right(Q, K):
        time.sleep(0.4)
        return scores(Q, K)

    results = []
    worker = threading.Thread(target=lambda: results.append(timed("scores", slow_but_right)))
    worker.start()
    worker.join()
    ((result, elapsed),) = results
    assert result.code == "pass" and elapsed >= 0.4
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL


def test_a_deadline_without_seconds_sets_nothing():
    with Deadline(None) as deadline:
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert not deadline.active and not deadline.fired


def test_a_check_inside_a_checked_answer_defers_to_the_outer_limit(limit):
    def nests(Q, K):
        qkv.check("scores", loops)  # the inner check's limit is no sooner: the outer one rules
        return scores(Q, K)

    result, elapsed = timed("scores", nests)
    assert result.code == "too-slow" and elapsed < limit + SLACK


def catches_the_limit_then_returns(Q, K):
    try:
        time.sleep(30)
    except BaseException:  # a bare except: it catches the time limit too
        pass
    return scores(Q, K)


def catches_the_limit_then_raises(Q, K):
    try:
        time.sleep(30)
    except BaseException as error:
        raise ValueError("something else") from error


@pytest.mark.parametrize("answer", [catches_the_limit_then_returns, catches_the_limit_then_raises])
def test_an_answer_that_catches_the_limit_still_took_too_long(limit, answer):
    result, elapsed = timed("scores", answer)
    assert result.code == "too-slow" and elapsed < limit + SLACK
