"""Chapter 1's toy lookup table: four keys in the plane and the values stored with them.

Taught in chapter 1, Q, K and V as retrieval. The keys are 2-D directions (E = 2), the
values 3-D feature vectors (Dv = 3) that live in a different space from the keys: a key is
what a query is matched against, a value is what the lookup returns.
Shapes: E key/query dim, S number of keys (= number of values), Dv value dim.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from ._args import real

__all__ = [
    "KEY_ANGLES",
    "VALUE_FEATURES",
    "ToyTable",
    "query_at_angle",
    "toy_dict",
    "toy_keys_values",
]

#: Directions (degrees) of the toy keys: the two pets near each other, the rest far apart.
KEY_ANGLES: dict[str, float] = {"cat": 20.0, "dog": 80.0, "car": 190.0, "tree": 280.0}

#: What each coordinate of a toy value means (every value is a 3-D vector, Dv = 3).
VALUE_FEATURES: tuple[str, ...] = ("size", "speed", "cuteness")

_VALUES: dict[str, tuple[float, float, float]] = {
    "cat": (0.2, 0.5, 0.9),
    "dog": (0.4, 0.7, 0.8),
    "car": (0.8, 0.9, 0.1),
    "tree": (1.0, 0.0, 0.3),
}
_KEY_LENGTH = 2.0


class ToyTable(NamedTuple):
    """The toy lookup table of chapter 1: ``keys, values, labels = toy_keys_values()``."""

    keys: torch.Tensor  # (S, E) = (4, 2): where each entry points in the plane
    values: torch.Tensor  # (S, Dv) = (4, 3): what each entry returns (see VALUE_FEATURES)
    labels: tuple[str, ...]  # S names: ("cat", "dog", "car", "tree")


def query_at_angle(degrees: float, length: float = _KEY_LENGTH) -> torch.Tensor:
    """A 2-D query (E,) = (2,) pointing ``degrees`` anticlockwise from the x-axis."""
    radians = math.radians(real("degrees", degrees))
    length = real("length", length)
    if length < 0:
        raise ValueError(f"length must be zero or positive, got {length}")
    return torch.tensor([length * math.cos(radians), length * math.sin(radians)])


def toy_keys_values() -> ToyTable:
    """Return chapter 1's hand-chosen table: 4 keys in the plane (4, 2) and their values (4, 3).

    The keys all have length 2, so a query's scores depend only on its direction. The values
    live in a different space from the keys (size, speed, cuteness in 0..1): a key is what you
    match against, a value is what you get back. Fresh tensors on every call.
    """
    labels = tuple(KEY_ANGLES)
    keys = torch.stack([query_at_angle(KEY_ANGLES[name]) for name in labels])  # (S, E)
    values = torch.tensor([_VALUES[name] for name in labels])  # (S, Dv)
    return ToyTable(keys=keys, values=values, labels=labels)


def toy_dict() -> dict[str, torch.Tensor]:
    """The same table as a plain Python dict {label: value (Dv,)}, for ``exact_lookup``."""
    table = toy_keys_values()
    return dict(zip(table.labels, table.values, strict=True))
