"""Time qkv_lib's attention against PyTorch's on the CPU (a script, not a test).

Run: ``.venv/bin/python benchmarks/bench_attention.py``. Prints the median time of each
implementation and their ratio for a few course-sized and larger shapes.
"""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F

import qkv_lib as qkv


def median_ms(fn, repeats: int = 30) -> float:
    for _ in range(3):  # warm-up
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'case':<34}{'qkv ms':>10}{'torch ms':>10}{'ratio':>8}")
    with torch.no_grad():
        for B, H, L, S, Dh in [(2, 3, 3, 5, 4), (8, 4, 64, 64, 16), (8, 8, 256, 256, 64)]:
            q, k, v = (torch.randn(B, H, n, Dh) for n in (L, S, S))
            ours = median_ms(lambda q=q, k=k, v=v: qkv.scaled_dot_product_attention(q, k, v))
            ref = median_ms(lambda q=q, k=k, v=v: F.scaled_dot_product_attention(q, k, v))
            name = f"sdpa B={B} H={H} L={L} S={S} Dh={Dh}"
            print(f"{name:<34}{ours:>10.3f}{ref:>10.3f}{ours / ref:>8.2f}")
        for B, T, E, H in [(2, 3, 12, 3), (8, 64, 64, 4), (8, 256, 512, 8)]:
            x = torch.randn(B, T, E)
            reference = torch.nn.MultiheadAttention(E, H, batch_first=True)
            ours_module = qkv.MultiHeadAttention.from_torch(reference)
            ours = median_ms(lambda x=x, m=ours_module: m(x))
            ref = median_ms(lambda x=x, m=reference: m(x, x, x))
            name = f"mha B={B} T={T} E={E} H={H}"
            print(f"{name:<34}{ours:>10.3f}{ref:>10.3f}{ours / ref:>8.2f}")


if __name__ == "__main__":
    main()
