"""Run torch on one thread for a block: the course's tensors are tiny.

Splitting a few dozen numbers between threads only adds waiting, up to ~15 ms per operation
when the machine is busy and the second thread is not scheduled at once. Used by the
explorers (chapter 1 on), the checkers, the training loop of chapter 7 and chapter 8's timings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["one_thread"]


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread for a ``with`` block (the previous number is restored)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
