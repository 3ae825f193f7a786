"""Time every chapter's explorer the way a learner feels it: a control moved, a new image shown.

Run: ``.venv/bin/python benchmarks/bench_explorers.py`` (a script, not a test; ``--repeats N``,
default 3, times each change in N fresh explorers and keeps the median). For each explorer a
fresh explorer and its live widget are made (the default frame is drawn then, as when the
cell runs), and then every value of every control is set once, the other controls at their
defaults: ``widget.controls[name].value = v``. The widget's observer redraws synchronously,
so the time until the assignment returns is the time until the new image bytes are on
``widget.image.value``. No value is served from a warm cache: each is drawn for the first
time. The default's own value is not timed (it is on screen already), and the assignment
that puts a control back to its default before the next control is not timed. The inline
backend and the course style are set as ``qkv.setup_notebook`` sets them. Separately, each
explorer's kernel-free twin (``to_html()``, every frame) is built from a fresh explorer, as
the headless book build does (the fastest of N builds). Targets: over all changes, median at
most 50 ms and 95th percentile at most 100 ms; every twin built in at most 3 s.

Wall-clock times are what a reader waits; on a machine shared with other jobs they drift by
2x, so the table also gives the CPU time of this process (less sensitive to the load).
``measure_explorers()`` returns one dict per explorer (name, n_changes, median_ms, p95_ms,
max_ms, twin_seconds; wall clock), for the combined benchmark script (``run.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections.abc import Iterator
from typing import NamedTuple

import matplotlib as mpl
import torch

from qkv_lib import widgets
from qkv_lib.plotting import COURSE_STYLE

#: The chapters' explorers, in chapter order (every ``*_explorer`` the package exports).
EXPLORERS = (
    "query_explorer",
    "source_explorer",
    "projection_explorer",
    "flow_explorer",
    "heads_explorer",
    "training_explorer",
)
#: The targets of the issue: per control change (all explorers together) and per twin.
TARGET_MEDIAN_MS, TARGET_P95_MS, TARGET_TWIN_SECONDS = 50.0, 100.0, 3.0
_INLINE = "module://matplotlib_inline.backend_inline"


@contextlib.contextmanager
def _notebook_setting() -> Iterator[None]:
    """The inline backend and the course style, as in a chapter; both restored afterwards."""
    backend = mpl.get_backend()
    with mpl.rc_context():
        mpl.use(_INLINE, force=True)
        mpl.rcParams.update(COURSE_STYLE)
        try:
            yield
        finally:
            mpl.use(backend, force=True)


def _settle_torch(limit_seconds: float = 20.0) -> None:
    """Wait until tiny torch operations run in microseconds, as in a kernel that has run a while.

    For the first seconds of a process, on a busy 2-core machine, each call of an op that
    torch parallelises (softmax) can stall for ~15 ms on its thread pool; a chapter's kernel
    has long left that phase when the reader reaches an explorer.
    """
    x = torch.zeros(4, 4)
    fast, deadline = 0, time.perf_counter() + limit_seconds
    while fast < 50 and time.perf_counter() < deadline:
        start = time.perf_counter()
        torch.softmax(x, dim=-1)
        fast = fast + 1 if time.perf_counter() - start < 1e-3 else 0


def percentile(values: list[float], share: float) -> float:
    """The ``share`` (0..1) quantile of ``values``, linearly interpolated between ranks."""
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class Measured(NamedTuple):
    """One explorer's timings: per control change (wall and CPU seconds) and its twin's."""

    wall: list[float]
    cpu: list[float]
    twin_wall: float
    twin_cpu: float


def _changes_once(name: str) -> list[tuple[float, float]]:
    """(wall, CPU) seconds per control change of a fresh explorer's new widget."""
    explorer = getattr(widgets, name)()
    widget = explorer.widget()  # draws the default frame, as displaying the cell does
    times = []
    for spec in explorer.controls:
        control = widget.controls[spec.name]
        for value in spec.choices:
            if value == spec.default:
                continue
            before = widget.image.value
            wall, cpu = time.perf_counter(), time.process_time()
            control.value = value  # the observer redraws before the assignment returns
            times.append((time.perf_counter() - wall, time.process_time() - cpu))
            if widget.image.value == before:  # pragma: no cover - a broken widget
                raise RuntimeError(f"{name}: {spec.name}={value!r} did not change the image")
        control.value = spec.default  # a frame already drawn: not timed
    return times


def _twin_once(name: str) -> tuple[float, float]:
    explorer = getattr(widgets, name)()  # a fresh frame cache: every frame drawn
    wall, cpu = time.perf_counter(), time.process_time()
    explorer.to_html()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure_changes(repeats: int = 3) -> dict[str, Measured]:
    """Per explorer: each control change's wall and CPU seconds (medians over ``repeats``
    fresh widgets) and the twin build's (the fastest of ``repeats`` builds)."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive int; got {repeats!r}")
    results = {}
    with _notebook_setting():
        for name in EXPLORERS:
            getattr(widgets, name)().frame()  # warm-up: imports, fonts, the chapter 7 run
        _settle_torch()
        for name in EXPLORERS:
            runs = [_changes_once(name) for _ in range(repeats)]
            per_change = list(zip(*runs, strict=True))  # the repeats of each change
            wall = [statistics.median(w for w, _ in change) for change in per_change]
            cpu = [statistics.median(c for _, c in change) for change in per_change]
            twin_wall, twin_cpu = min(_twin_once(name) for _ in range(repeats))
            results[name] = Measured(wall, cpu, twin_wall, twin_cpu)
    return results


def _row(name: str, seconds: list[float], twin: float) -> dict[str, object]:
    ms = [s * 1e3 for s in seconds]
    return {
        "name": name,
        "n_changes": len(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": percentile(ms, 0.95),
        "max_ms": max(ms),
        "twin_seconds": twin,
    }


def measure_explorers(repeats: int = 3) -> list[dict]:
    """One dict per explorer, in chapter order: name, n_changes (control values timed),
    median_ms, p95_ms and max_ms of a change and twin_seconds (the kernel-free twin's build),
    all wall-clock: what a reader waits."""
    return [_row(name, m.wall, m.twin_wall) for name, m in measure_changes(repeats).items()]


def _line(wall: dict, cpu: dict) -> str:
    return (
        f"{wall['name']:<20} {wall['n_changes']:>7d} {wall['median_ms']:>6.1f} ms "
        f"{wall['p95_ms']:>6.1f} ms {wall['max_ms']:>6.1f} ms {wall['twin_seconds']:>5.2f} s | "
        f"{cpu['median_ms']:>6.1f} ms {cpu['p95_ms']:>6.1f} ms {cpu['twin_seconds']:>5.2f} s"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh widgets per change")
    args = parser.parse_args(argv)

    results = measure_changes(args.repeats)
    every = list(results.values())
    header = (
        f"{'explorer':<20} {'changes':>7} {'median':>9} {'p95':>9} {'max':>9} {'twin':>7} | "
        f"{'CPU med.':>9} {'CPU p95':>9} {'CPU twin':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, m in results.items():
        print(_line(_row(name, m.wall, m.twin_wall), _row(name, m.cpu, m.twin_cpu)))
    print("-" * len(header))
    wall = _row(
        "all explorers", [s for m in every for s in m.wall], max(m.twin_wall for m in every)
    )
    cpu = _row("all explorers", [s for m in every for s in m.cpu], max(m.twin_cpu for m in every))
    print(_line(wall, cpu))
    met = (
        wall["median_ms"] <= TARGET_MEDIAN_MS
        and wall["p95_ms"] <= TARGET_P95_MS
        and wall["twin_seconds"] <= TARGET_TWIN_SECONDS
    )
    print(
        f"target (wall clock): median <= {TARGET_MEDIAN_MS:g} ms, p95 <= {TARGET_P95_MS:g} ms, "
        f"twin <= {TARGET_TWIN_SECONDS:g} s, over all explorers: {'met' if met else 'NOT met'}"
    )
    print(f"load average (1 min, other jobs): {os.getloadavg()[0]:.2f}; repeats: {args.repeats}")


if __name__ == "__main__":
    main()
