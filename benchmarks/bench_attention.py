"""Time qkv_lib's attention against PyTorch's, as ratios measured in one run (a script, not a test).

Every figure is a ratio: our call's time over PyTorch's, in eval mode under ``torch.no_grad()``.
The two calls take turns, round after round (in alternating order), and the figure is the
median over the rounds of the ratio within a round, so a machine that slows down during the
run slows both alike. Absolute times on a shared machine drift by 2x; the ratios move far
less, except with 2 threads on a busy 2-core machine, where waiting for a core dominates.

The cases are the issue's: ``MultiHeadAttention`` at B=8, T=128, E=256, H=8 against
``torch.nn.MultiheadAttention`` (self-attention, ``batch_first``), with and without weights;
``scaled_dot_product_attention`` at B=8, H=8, T=S=128, Dh=32 against PyTorch's fused kernel,
its unfused math backend and the formula written out in torch, ``softmax(Q Kᵀ · scale) V``;
and a toy (B=2, H=3, T=3, S=5, Dh=4) where the call's fixed costs dominate. Each case runs with
1 thread and with 2 (``torch.set_num_threads``), each thread count in a fresh interpreter.

    .venv/bin/python benchmarks/bench_attention.py [--rounds 100] [--threads N] [--json]

``benchmarks/run.py`` (``make bench``) calls :func:`measure_attention`.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

import qkv_lib as qkv

THREADS = (1, 2)
MIN_BLOCK_SECONDS = 0.004  # a short call is repeated until one timed block lasts this long


def _block(fn: Callable[[], object], calls: int) -> float:
    """Seconds per call of ``fn``, over ``calls`` calls in a row."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def paired_ratio(
    ours: Callable[[], object], reference: Callable[[], object], rounds: int
) -> tuple[float, float, float]:
    """Median seconds per call of ``ours`` and ``reference``, and the median of their ratio."""
    for _ in range(3):  # warm-up: first-call allocations, kernel selection
        ours(), reference()
    calls = max(1, round(MIN_BLOCK_SECONDS / max(_block(reference, 1), 1e-7)))
    mine, theirs = [], []
    for r in range(rounds):
        if r % 2:
            theirs.append(_block(reference, calls))
            mine.append(_block(ours, calls))
        else:
            mine.append(_block(ours, calls))
            theirs.append(_block(reference, calls))
    ratio = statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
    return statistics.median(mine), statistics.median(theirs), ratio


def _cases() -> list[tuple[str, float, Callable[[], object], Callable[[], object]]]:
    """(figure, target, ours, PyTorch's) for every comparison, on fixed random inputs."""
    g = torch.Generator().manual_seed(0)
    B, T, E, H = 8, 128, 256, 8
    x = torch.randn(B, T, E, generator=g)  # (B, T, E)
    reference = torch.nn.MultiheadAttention(E, H, batch_first=True).eval()
    ours = qkv.MultiHeadAttention.from_torch(reference).eval()

    q, k, v = (torch.randn(8, 8, 128, 32, generator=g) for _ in range(3))  # (B, H, T|S, Dh)
    scale = 1.0 / math.sqrt(q.size(-1))

    def explicit():
        return torch.softmax(q @ k.transpose(-2, -1) * scale, dim=-1) @ v

    def math_backend():
        with sdpa_kernel(SDPBackend.MATH):
            return F.scaled_dot_product_attention(q, k, v)

    toy_q = torch.randn(2, 3, 3, 4, generator=g)  # (B, H, T, Dh)
    toy_k, toy_v = (torch.randn(2, 3, 5, 4, generator=g) for _ in range(2))  # (B, H, S, Dh)
    mha, sdpa = "MultiHeadAttention", "scaled_dot_product_attention"
    return [
        (
            f"{mha}, with weights / torch",
            1.0,
            lambda: ours(x, x, x),
            lambda: reference(x, x, x),
        ),
        (
            f"{mha}, no weights / torch",
            1.0,
            lambda: ours(x, x, x, need_weights=False),
            lambda: reference(x, x, x, need_weights=False),
        ),
        (
            f"{sdpa} / softmax(QKᵀ·scale)V in torch",
            1.0,
            lambda: qkv.scaled_dot_product_attention(q, k, v),
            explicit,
        ),
        (
            f"{sdpa} / torch MATH backend",
            1.0,
            lambda: qkv.scaled_dot_product_attention(q, k, v),
            math_backend,
        ),
        (
            f"{sdpa} / torch fused",
            1.5,
            lambda: qkv.scaled_dot_product_attention(q, k, v),
            lambda: F.scaled_dot_product_attention(q, k, v),
        ),
        (
            f"{sdpa}, toy / torch fused",
            1.5,
            lambda: qkv.scaled_dot_product_attention(toy_q, toy_k, toy_v),
            lambda: F.scaled_dot_product_attention(toy_q, toy_k, toy_v),
        ),
    ]


def measure_here(rounds: int, threads: int) -> list[dict]:
    """Every figure with ``threads`` threads, in this process."""
    torch.set_num_threads(threads)
    rows = []
    with torch.no_grad():
        for figure, target, ours, reference in _cases():
            ours_s, torch_s, ratio = paired_ratio(ours, reference, rounds)
            rows.append(
                {
                    "figure": figure,
                    "threads": threads,
                    "ratio": ratio,
                    "target": target,
                    "ours_ms": ours_s * 1e3,
                    "torch_ms": torch_s * 1e3,
                }
            )
    return rows


def measure_attention(rounds: int = 100, threads: tuple[int, ...] = THREADS) -> list[dict]:
    """One dict per figure and thread count: figure, threads, ratio, target, ours_ms, torch_ms.

    Each thread count runs in a fresh interpreter: changing the size of PyTorch's thread pool
    inside one process can leave it slow to wake (milliseconds per call on a busy machine).
    """
    rows = []
    for n in threads:
        command = [sys.executable, __file__, "--json", "--threads", str(n), "--rounds", str(rounds)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        rows += json.loads(done.stdout)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100, help="timed rounds per figure")
    parser.add_argument("--threads", type=int, help="only this thread count, in this process")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    if args.threads is None:
        rows = measure_attention(args.rounds)
    else:
        rows = measure_here(args.rounds, args.threads)
    if args.json:
        print(json.dumps(rows))
        return
    print(f"torch {torch.__version__}")
    print(f"{'figure':<72}{'thr':>4}{'ours ms':>10}{'torch ms':>10}{'ratio':>7}{'target':>8}")
    for row in rows:
        print(
            f"{row['figure']:<72}{row['threads']:>4}{row['ours_ms']:>10.3f}"
            f"{row['torch_ms']:>10.3f}{row['ratio']:>7.2f}{row['target']:>8.2f}"
        )


if __name__ == "__main__":
    main()
