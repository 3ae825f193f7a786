"""Measuring attention's cost (qkv_lib/examples/cost.py, chapter 8): timer, tensor bytes, slope."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import qkv_lib as qkv
from qkv_lib.examples.cost import (
    AttentionCosts,
    attention_costs,
    largest_new_tensor,
    loglog_slope,
    time_call,
)


def test_time_call_returns_the_shortest_run_and_restores_the_threads():
    threads = torch.get_num_threads()
    calls = []
    seconds = time_call(lambda: calls.append(torch.get_num_threads()), repeats=3)
    assert calls == [1, 1, 1, 1]  # one warm-up and three timed calls, on one thread
    assert 0 <= seconds < 0.1 and torch.get_num_threads() == threads


def test_time_call_restores_the_threads_when_the_call_raises():
    threads = torch.get_num_threads()
    with pytest.raises(ZeroDivisionError):
        time_call(lambda: 1 / 0)
    assert torch.get_num_threads() == threads


def test_the_unfused_attention_makes_a_t_by_t_tensor_and_the_fused_one_does_not():
    q = k = v = torch.randn(1, 2, 64, 8)  # (B, H, T, Dh)
    unfused = largest_new_tensor(lambda *a: qkv.scaled_dot_product_attention(*a), q, k, v)
    assert unfused == 1 * 2 * 64 * 64 * 4  # the (B, H, T, T) scores / weights in float32
    fused = largest_new_tensor(F.scaled_dot_product_attention, q, k, v)
    assert fused == 1 * 2 * 64 * 8 * 4  # only the output (B, H, T, Dh) is visible


def test_views_of_the_arguments_are_not_new_tensors():
    x = torch.randn(30, 40)
    assert largest_new_tensor(lambda t: t.T[:5], x) == 0
    assert largest_new_tensor(lambda t: t.T.contiguous(), x) == 30 * 40 * 4


def test_attention_costs_measure_every_size():
    costs = attention_costs((16, 32), heads=2, head_dim=4, repeats=1)
    assert isinstance(costs, AttentionCosts) and costs.sizes == (16, 32)
    assert costs.unfused_bytes == (2 * 16 * 16 * 4, 2 * 32 * 32 * 4)
    assert costs.fused_bytes == (2 * 16 * 4 * 4, 2 * 32 * 4 * 4)
    assert all(s > 0 for s in costs.unfused_seconds + costs.fused_seconds)


def test_loglog_slope_recovers_a_power_law():
    sizes = [64, 128, 256, 512]
    assert math.isclose(loglog_slope(sizes, [3 * T**2 for T in sizes]), 2.0)
    assert math.isclose(loglog_slope(sizes, [0.5 * T for T in sizes]), 1.0)


@pytest.mark.parametrize(
    ("call", "error", "word"),
    [
        (lambda: time_call(42), TypeError, "fn"),
        (lambda: time_call(lambda: None, repeats=0), ValueError, "repeats"),
        (lambda: largest_new_tensor(len, [1, 2]), TypeError, "args[0]"),
        (lambda: attention_costs(()), ValueError, "sizes"),
        (lambda: attention_costs((16, 0)), ValueError, "sizes[1]"),
        (lambda: attention_costs((16,), head_dim=2.0), TypeError, "head_dim"),
        (lambda: loglog_slope([1, 2], [1, 2, 3]), ValueError, "same length"),
        (lambda: loglog_slope([1, 2], [0, 1]), ValueError, "positive"),
    ],
)
def test_bad_arguments_are_named(call, error, word):
    with pytest.raises(error) as raised:
        call()
    assert word in str(raised.value)
