"""Time chapter 7's training run: steps per second and the accuracy it reaches (a script).

Run: ``.venv/bin/python benchmarks/bench_training.py`` (``--repeats N``, ``--widget`` to time
chapter 7's explorer too). The run is ``LookupModel(seed=0)`` trained with the chapter's
settings (``qkv_lib.training.STEPS``, ``BATCH_SIZE``, ``LR``) and a generator seeded with 0;
the accuracy is measured on 2,000 held-out examples. Target: well under a few seconds on
2 CPU cores, and a held-out accuracy above 95 %.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from qkv_lib import examples, training


def run_once() -> tuple[float, float, float, float]:
    """One chapter run: (seconds, held-out accuracy, accuracy with W_q and W_k frozen, loss)."""
    held_out = examples.make_lookup_batch(2000, generator=torch.Generator().manual_seed(123))
    model = examples.LookupModel(seed=0)
    history = training.train(model, generator=torch.Generator().manual_seed(0))
    frozen = examples.LookupModel(seed=0)
    frozen.attention.in_proj.q_proj.requires_grad_(False)
    frozen.attention.in_proj.k_proj.requires_grad_(False)
    training.train(frozen, generator=torch.Generator().manual_seed(0))
    return (
        history.seconds,
        examples.evaluate(model, held_out),
        examples.evaluate(frozen, held_out),
        history.loss[-1].item(),
    )


def time_widget() -> list[tuple[str, str]]:
    from qkv_lib.plotting import gzipped_size
    from qkv_lib.widgets import training as widget

    start = time.perf_counter()
    explorer = widget.training_explorer()  # trains the cached run
    build = time.perf_counter() - start
    explorer.frame()  # warm-up: fonts, imports
    fresh = widget.training_explorer()
    times = []
    for values in fresh.grid():
        start = time.perf_counter()
        fresh.frame(**values)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    page = widget.training_explorer().to_html()
    twin = time.perf_counter() - start
    return [
        ("explorer: first build (trains the run)", f"{build * 1e3:9.1f} ms"),
        ("explorer: frames", f"{len(times):>9d}"),
        ("explorer: redraw, median", f"{statistics.median(times) * 1e3:9.1f} ms"),
        ("explorer: redraw, max", f"{max(times) * 1e3:9.1f} ms"),
        ("explorer: HTML twin build", f"{twin * 1e3:9.1f} ms"),
        ("explorer: HTML twin size, raw", f"{len(page.encode()) / 1e6:9.2f} MB"),
        ("explorer: HTML twin size, gzipped", f"{gzipped_size(page) / 1e6:9.2f} MB"),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="training runs to time")
    parser.add_argument("--widget", action="store_true", help="time the explorer as well")
    args = parser.parse_args(argv)

    run_once()  # warm-up: the first run pays for lazy initialisation
    results = [run_once() for _ in range(args.repeats)]
    seconds = [r[0] for r in results]
    accuracies = {r[1] for r in results}
    assert len(accuracies) == 1, "training is not deterministic"
    median = statistics.median(seconds)
    rows = [
        ("torch", torch.__version__),
        ("steps x batch size", f"{training.STEPS} x {training.BATCH_SIZE}"),
        ("training run, median of repeats", f"{median * 1e3:9.1f} ms"),
        ("training run, slowest", f"{max(seconds) * 1e3:9.1f} ms"),
        ("steps per second", f"{training.STEPS / median:9.0f}"),
        ("final training loss", f"{results[0][3]:9.4f}"),
        ("held-out accuracy", f"{results[0][1]:9.3f}"),
        ("held-out accuracy, W_q and W_k frozen", f"{results[0][2]:9.3f}"),
    ]
    if args.widget:
        rows += time_widget()
    rows.append(("load average (1 min, other jobs)", f"{os.getloadavg()[0]:9.2f}"))
    width = max(len(name) for name, _ in rows)
    print(f"{'chapter 7 training':<{width}}  value")
    print("-" * (width + 14))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
