"""Argument checks of the worked examples: numbers and positions.

The examples feed the chapters and the explorers (chapters 1 to 8), so a wrong argument gets
a ``TypeError`` or ``ValueError`` that names it; tensors, sizes and flags are checked with
:mod:`qkv_lib._validate`.
"""

from __future__ import annotations

import math
import numbers


def real(name: str, value: object) -> float:
    """Check that ``value`` is a finite real number (an int or a float, not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return float(value)


def index(name: str, value: object, size: int, what: str) -> int:
    """Check that ``value`` is an int from 0 to ``size - 1``; ``what`` names the positions."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 <= value < size:
        raise ValueError(f"{name} must be from 0 to {size - 1} ({what}), got {value}")
    return value
