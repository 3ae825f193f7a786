"""Time importing qkv_lib and its layers in fresh interpreters (a script, not a test).

Each statement runs in ``--repeats`` new interpreters under ``python -X importtime``; the time
of one run is the sum of the cumulative times of its top-level imports (what the import costs,
without the interpreter's own start-up). The statements take turns, round after round, so a
machine that slows down during the run slows them all alike. Prints the median, its ratio to
``import torch`` measured in the same run, and whether matplotlib, ipywidgets or IPython were
loaded; a statement that fails (a module an older version does not have) is reported as such.

    .venv/bin/python benchmarks/bench_import.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

STATEMENTS = (
    "import torch",
    "import qkv_lib",
    "import qkv_lib.attention",
    "import qkv_lib.modules",
    "import qkv_lib.exercises",
    "import qkv_lib; qkv_lib.examples",
    "import qkv_lib; qkv_lib.plotting",
    "import qkv_lib; qkv_lib.widgets",
)
UI = ("matplotlib", "ipywidgets", "IPython")


def import_seconds(statement: str) -> tuple[float, list[str]] | None:
    """Seconds spent importing in one fresh interpreter and the UI packages it loaded, or None."""
    probe = f"{statement}\nimport sys\nprint(' '.join(m for m in {UI!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return None
    total_us = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        if not name.startswith("  "):  # one space after the bar: a top-level import
            total_us += int(cumulative)
    return total_us / 1e6, done.stdout.split()


def measure_imports(
    statements: tuple[str, ...] = STATEMENTS, repeats: int = 7
) -> dict[str, tuple[float, list[str]] | None]:
    """Median seconds of each statement and the UI packages it loaded (None if it fails).

    The statements take turns, round after round, so a slowdown of the machine hits them all.
    """
    runs: dict[str, list] = {statement: [] for statement in statements}
    for _ in range(repeats):
        for statement in statements:
            runs[statement].append(import_seconds(statement))
    return {
        statement: None
        if None in results
        else (statistics.median(s for s, _ in results), results[0][1])
        for statement, results in runs.items()
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="fresh interpreters per import")
    args = parser.parse_args(argv)
    medians = measure_imports(STATEMENTS, args.repeats)
    torch_s = medians["import torch"][0]
    print(f"{'statement':<36}{'median ms':>10}{'x torch':>9}  UI loaded")
    for statement, result in medians.items():
        if result is None:
            print(f"{statement:<36}{'fails':>10}")
            continue
        seconds, ui = result
        ratio = seconds / torch_s
        print(f"{statement:<36}{seconds * 1e3:>10.0f}{ratio:>9.2f}  {', '.join(ui) or '-'}")


if __name__ == "__main__":
    main()
