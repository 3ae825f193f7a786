"""Measuring what attention costs: run time, and the largest tensor a call creates.

Used in chapter 8 (Q, K and V in today's models): the time of one decoding step with and
without a KV cache (§8.2), and how the time and memory of attention grow with the sequence
length T, for the step-by-step ``qkv.scaled_dot_product_attention``, which materialises the
(T, S) weights, and for PyTorch's fused ``torch.nn.functional.scaled_dot_product_attention``
(§8.4). Timings are the best of a few repeats, in seconds, and vary from machine to machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.overrides import TorchFunctionMode

from .. import _validate
from .._threads import one_thread
from ..attention import scaled_dot_product_attention
from .lookup_task import check_generator

__all__ = ["AttentionCosts", "attention_costs", "largest_new_tensor", "loglog_slope", "time_call"]


def time_call(fn: Callable[[], Any], repeats: int = 5) -> float:
    """The shortest of ``repeats`` timed calls of ``fn()``, in seconds, after one warm-up call.

    The calls run on one CPU thread, and the shortest run is the one least disturbed by other
    programs on the machine.
    """
    if not callable(fn):
        raise TypeError(f"fn must be a function of no arguments, got {type(fn).__name__}")
    repeats = _validate.positive_int("repeats", repeats)
    with one_thread():  # a busy machine disturbs one thread far less than several
        fn()  # warm-up: first calls pay for allocations and kernel selection
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
    return best


class _NewTensors(TorchFunctionMode):
    """Record the bytes of every tensor a PyTorch call returns that is not a view of an input."""

    def __init__(self, inputs: Sequence[Tensor]) -> None:
        super().__init__()
        self.known = {t.untyped_storage().data_ptr() for t in inputs}
        self.largest = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, Tensor) and t.untyped_storage().data_ptr() not in self.known:
                self.largest = max(self.largest, t.untyped_storage().nbytes())
        return out


def largest_new_tensor(fn: Callable[..., Any], *args: Tensor) -> int:
    """Bytes of the largest tensor that any PyTorch call made while ``fn(*args)`` ran.

    Only tensors visible from Python count: the working memory inside one fused kernel (such
    as ``torch.nn.functional.scaled_dot_product_attention``) is not seen, its output is.
    Views of the arguments (a transpose, a slice) share their memory and are skipped.
    """
    if not callable(fn):
        raise TypeError(f"fn must be a function, got {type(fn).__name__}")
    for i, a in enumerate(args):
        _validate.tensor(f"args[{i}]", a, floating=False)
    with _NewTensors(args) as watch:
        fn(*args)
    return watch.largest


@dataclass(frozen=True)
class AttentionCosts:
    """Time (seconds) and largest new tensor (bytes) of unfused and fused attention, per T."""

    sizes: tuple[int, ...]
    unfused_seconds: tuple[float, ...]
    fused_seconds: tuple[float, ...]
    unfused_bytes: tuple[int, ...]
    fused_bytes: tuple[int, ...]


def _unfused(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    return scaled_dot_product_attention(q, k, v)[0]  # (B, H, T, Dh), weights (B, H, T, T) made


def _fused(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    return F.scaled_dot_product_attention(q, k, v)  # (B, H, T, Dh)


def attention_costs(
    sizes: Sequence[int],
    *,
    batch: int = 1,
    heads: int = 1,
    head_dim: int = 64,
    repeats: int = 3,
    generator: torch.Generator | None = None,
) -> AttentionCosts:
    """Measure self-attention on float32 ``q, k, v (batch, heads, T, head_dim)`` for each T.

    For every T in ``sizes``: the best of ``repeats`` timings of the unfused
    ``qkv.scaled_dot_product_attention`` and of the fused PyTorch function, and the bytes of
    the largest tensor each creates (:func:`largest_new_tensor`).
    """
    if not isinstance(sizes, Iterable) or isinstance(sizes, str):
        raise TypeError(f"sizes must be a sequence of ints (lengths T), got {type(sizes).__name__}")
    sizes = tuple(_validate.positive_int(f"sizes[{i}]", T) for i, T in enumerate(sizes))
    if not sizes:
        raise ValueError("sizes must name at least one sequence length T")
    for name, value in (
        ("batch", batch),
        ("heads", heads),
        ("head_dim", head_dim),
        ("repeats", repeats),
    ):
        _validate.positive_int(name, value)
    g = torch.Generator().manual_seed(0) if generator is None else check_generator(generator)
    columns: dict[str, list] = {k: [] for k in ("us", "fs", "ub", "fb")}
    with torch.no_grad():
        for T in sizes:
            q, k, v = torch.randn(3, batch, heads, T, head_dim, generator=g)  # (B, H, T, Dh) each
            columns["us"].append(time_call(partial(_unfused, q, k, v), repeats))
            columns["fs"].append(time_call(partial(_fused, q, k, v), repeats))
            columns["ub"].append(largest_new_tensor(_unfused, q, k, v))
            columns["fb"].append(largest_new_tensor(_fused, q, k, v))
    return AttentionCosts(sizes, *(tuple(columns[k]) for k in ("us", "fs", "ub", "fb")))


def loglog_slope(sizes: Sequence[float], values: Sequence[float]) -> float:
    """The least-squares slope of log(values) against log(sizes): p in values ∝ sizes ** p."""
    xs, ys = _logs("sizes", sizes), _logs("values", values)
    if xs.dim() != 1 or xs.shape != ys.shape or xs.numel() < 2:
        raise ValueError(
            f"sizes and values must be 1-D, of the same length, at least 2; got "
            f"{tuple(xs.shape)} and {tuple(ys.shape)}"
        )
    if not (torch.isfinite(xs).all() and torch.isfinite(ys).all()):
        raise ValueError("sizes and values must all be positive")
    dx, dy = xs - xs.mean(), ys - ys.mean()
    if not dx.any():
        raise ValueError(f"sizes must not all be equal (no slope to fit), got {list(sizes)}")
    return float((dx * dy).sum() / (dx * dx).sum())


def _logs(name: str, numbers: object) -> Tensor:
    """``log`` of a sequence of positive numbers, as a float64 tensor."""
    try:
        return torch.as_tensor(numbers, dtype=torch.float64).log()
    except (TypeError, ValueError, RuntimeError):  # e.g. None, a string, [1, "a"]
        raise TypeError(
            f"{name} must be a sequence of positive numbers, got {type(numbers).__name__}"
        ) from None
