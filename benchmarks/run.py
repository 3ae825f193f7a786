"""``make bench``: the course's speed figures in one table (a script, not a test).

    .venv/bin/python benchmarks/run.py [--write] [--rounds N] [--import-repeats N]
        [--suite-seconds N] [--timings FILE] [--durations FILE] [--skip-explorers]
        [--skip-book]

One row per figure: what is measured, the value, the target, and ``ok`` or ``OVER``.

* Attention: ratios of qkv_lib's time to PyTorch's in the same run
  (``bench_attention.measure_attention``), with 1 and 2 threads.
* Import: ``import qkv_lib`` over ``import torch``, each in fresh interpreters
  (``bench_import.measure_imports``), and whether it loaded a UI package.
* Explorers: median and 95th percentile of a slider change per explorer and the slowest
  kernel-free twin build, from ``bench_explorers.measure_explorers()``.
* The book: a clean build into a fresh folder with ``make book``'s flags, then an unchanged
  rebuild of the same folder (``book_rows``).
* ``make test`` records its own wall time (warm ``.venv``, every core) in
  ``_build/bench/timings.json`` and its report, with the 10 slowest tests, in
  ``_build/bench/pytest.log``; this script reads both when they exist (``--timings``,
  ``--durations``), or takes ``--suite-seconds``. Without them, the row says so.

``--write`` also writes the table and the machine (cores, load, torch and Python versions,
date) to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_attention
import bench_import
import torch

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
TIMINGS = ROOT / "_build" / "bench" / "timings.json"
DURATIONS = ROOT / "_build" / "bench" / "pytest.log"
BOOK_FLAGS = ["--builder", "html", "-W", "-n", "--keep-going"]  # as in the Makefile

IMPORT_TARGET = 1.3  # import qkv_lib / import torch: the package adds little on top of torch
SUITE_TARGET_SECONDS = 180.0  # make test from a warm .venv, on 2 cores
BOOK_CLEAN_TARGET_SECONDS = 60.0  # make book into an empty _build
BOOK_REBUILD_TARGET_SECONDS = 15.0  # make book again, nothing changed
SLOWEST = 10

Row = tuple[str, str, str, bool | None]  # figure, value, target, met (None: no target)


def attention_rows(rounds: int) -> list[Row]:
    return [
        (
            f"{r['figure']}, {r['threads']} thread{'s' if r['threads'] > 1 else ''}",
            f"{r['ratio']:.2f}x",
            f"<= {r['target']:.2f}x",
            r["ratio"] <= r["target"],
        )
        for r in bench_attention.measure_attention(rounds)
    ]


def import_rows(repeats: int) -> list[Row]:
    medians = bench_import.measure_imports(("import torch", "import qkv_lib"), repeats)
    if None in medians.values():
        return [("import qkv_lib / import torch", "fails", f"<= {IMPORT_TARGET:.2f}x", False)]
    (torch_s, _), (ours_s, ui) = medians["import torch"], medians["import qkv_lib"]
    ratio = ours_s / torch_s
    return [
        (
            f"import qkv_lib / import torch (fresh interpreters, {repeats} each)",
            f"{ratio:.2f}x",
            f"<= {IMPORT_TARGET:.2f}x",
            ratio <= IMPORT_TARGET,
        ),
        ("UI packages loaded by import qkv_lib", ", ".join(ui) or "none", "none", not ui),
    ]


def explorer_rows() -> list[Row]:
    """Rows from ``bench_explorers.measure_explorers()``, or one row saying it is missing."""
    try:
        import bench_explorers
    except ImportError as error:
        return [("explorer latency", f"not measured ({error})", "-", None)]
    if not hasattr(bench_explorers, "measure_explorers"):
        return [("explorer latency", "not measured (no measure_explorers())", "-", None)]
    median_ms = getattr(bench_explorers, "TARGET_MEDIAN_MS", 50.0)
    p95_ms = getattr(bench_explorers, "TARGET_P95_MS", 100.0)
    twin_s = getattr(bench_explorers, "TARGET_TWIN_SECONDS", 3.0)
    rows: list[Row] = []
    explorers = bench_explorers.measure_explorers()
    for e in explorers:
        name = f"explorer {e['name']}, slider change ({e['n_changes']} values)"
        for stat, target in (("median", median_ms), ("p95", p95_ms)):
            value = e[f"{stat}_ms"]
            rows.append(
                (f"{name}, {stat}", f"{value:.0f} ms", f"<= {target:.0f} ms", value <= target)
            )
    slowest = max(explorers, key=lambda e: e["twin_seconds"])
    rows.append(
        (
            f"kernel-free twin build, slowest ({slowest['name']})",
            f"{slowest['twin_seconds']:.2f} s",
            f"<= {twin_s:.1f} s",
            slowest["twin_seconds"] <= twin_s,
        )
    )
    return rows


def suite_rows(suite: float | None) -> list[Row]:
    target = f"<= {SUITE_TARGET_SECONDS:.0f} s"
    if suite is None:
        return [("make test wall time (warm .venv)", "not measured: run make test", target, None)]
    return [
        (
            "make test wall time (warm .venv)",
            f"{suite:.0f} s",
            target,
            suite <= SUITE_TARGET_SECONDS,
        )
    ]


def book_rows() -> list[Row]:
    """A clean build of the book into a fresh folder, then the same build again, unchanged."""
    if shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) is None:
        return [("make book", "not measured: no jupyter-book in this environment", "-", None)]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env |= {"QKV_CHECK_STRICT": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(ROOT)]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as out:
        for name, target in (
            ("make book, clean", BOOK_CLEAN_TARGET_SECONDS),
            ("make book, unchanged rebuild", BOOK_REBUILD_TARGET_SECONDS),
        ):
            start = time.perf_counter()
            done = subprocess.run(
                [*command, "--path-output", out, *BOOK_FLAGS],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                rows.append((name, f"build failed (exit {done.returncode})", "-", False))
                break
            rows.append((name, f"{seconds:.0f} s", f"<= {target:.0f} s", seconds <= target))
    return rows


DURATION_LINE = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s+(call|setup|teardown)\s+(\S.*?)\s*$")


def slowest_tests(report: str, n: int = SLOWEST) -> list[tuple[float, str, str]]:
    """The ``n`` slowest (seconds, phase, test id) lines of a ``pytest --durations`` report."""
    found = [
        (float(m[1]), m[2], m[3])
        for line in report.splitlines()
        if (m := DURATION_LINE.match(line))
    ]
    return sorted(found, reverse=True)[:n]


def durations_rows(path: Path | None) -> list[Row]:
    if path is None:
        return []
    return [
        (f"slow test: {test} ({phase})", f"{seconds:.1f} s", "-", None)
        for seconds, phase, test in slowest_tests(path.read_text(encoding="utf-8"))
    ]


def status(met: bool | None) -> str:
    return "-" if met is None else "ok" if met else "OVER"


def table(rows: list[Row]) -> list[str]:
    """The rows as a Markdown table (readable as plain text too)."""
    widths = [max(len(r[i]) for r in [("figure", "value", "target", ""), *rows]) for i in range(3)]
    lines = [
        f"| {'figure':<{widths[0]}} | {'value':>{widths[1]}} | {'target':<{widths[2]}} | status |",
        f"|{'-' * (widths[0] + 2)}|{'-' * (widths[1] + 1)}:|{'-' * (widths[2] + 2)}|--------|",
    ]
    for figure, value, target, met in rows:
        lines.append(
            f"| {figure:<{widths[0]}} | {value:>{widths[1]}} | {target:<{widths[2]}} "
            f"| {status(met):<6} |"
        )
    return lines


def machine() -> list[str]:
    return [
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='minutes')}",
        f"- CPU cores: {os.cpu_count()}; load average (1 min) at the end: {os.getloadavg()[0]:.2f}",
        f"- torch {torch.__version__} (default threads {torch.get_num_threads()}); "
        f"Python {platform.python_version()}; {platform.platform()}",
    ]


def write_results(lines: list[str], command: str) -> None:
    text = [
        "# Benchmark results",
        "",
        f"Written by `{command}`; the docstrings of `benchmarks/run.py` and",
        "`benchmarks/bench_attention.py` say what each figure measures. Attention cases:",
        "MultiHeadAttention at B=8, T=128, E=256, H=8 (self-attention, batch_first, eval,",
        "no_grad); scaled_dot_product_attention at B=8, H=8, T=S=128, Dh=32; the toy at B=2,",
        "H=3, T=3, S=5, Dh=4. Ratios compare qkv_lib with PyTorch in the same run; absolute",
        "times on a shared machine drift.",
        "",
        *machine(),
        "",
        *lines,
        "",
    ]
    RESULTS.write_text("\n".join(text), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"also write {RESULTS.name}")
    parser.add_argument("--rounds", type=int, default=100, help="rounds per attention figure")
    parser.add_argument("--import-repeats", type=int, default=7, help="interpreters per import")
    parser.add_argument("--suite-seconds", type=float, help="measured wall time of make test")
    parser.add_argument("--timings", type=Path, default=TIMINGS, help="make test's record")
    parser.add_argument("--durations", type=Path, default=DURATIONS, help="pytest --durations")
    parser.add_argument("--skip-explorers", action="store_true", help="leave out explorers")
    parser.add_argument("--skip-book", action="store_true", help="leave out the book builds")
    args = parser.parse_args(argv)

    timings = json.loads(args.timings.read_text()) if args.timings.is_file() else {}
    suite = args.suite_seconds if args.suite_seconds is not None else timings.get("suite_seconds")
    durations = args.durations if args.durations.is_file() else None

    rows = attention_rows(args.rounds) + import_rows(args.import_repeats)
    if not args.skip_explorers:
        rows += explorer_rows()
    if not args.skip_book:
        rows += book_rows()
    rows += suite_rows(suite) + durations_rows(durations)
    lines = table(rows)
    print("\n".join(lines))
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load > cores - 0.5:  # the benchmark itself keeps about one core busy
        print(
            f"note: load average {load:.1f} on {cores} cores: other processes shared the CPU, "
            "so the multi-threaded ratios say more about the scheduler than about the code"
        )
    if args.write:
        given = sys.argv[1:] if argv is None else argv
        write_results(lines, " ".join(["python benchmarks/run.py", *given]))
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
