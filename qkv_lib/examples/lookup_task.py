"""Chapter 7's task: find the value stored with a key, among a few (key, value) pairs.

Taught in chapter 7, watch the projections learn. Each example is a short list of
(key, value) token pairs, all keys distinct, followed by a query token equal to one of the
keys; the answer is the value stored with that key. Batches come from an explicit
``torch.Generator`` (never the global random state).
Shapes: B batch, S pairs per example (n_pairs); n_keys and n_values are the sizes of the
two token vocabularies.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from .. import _validate
from ._args import index

__all__ = [
    "N_KEYS",
    "N_PAIRS",
    "N_VALUES",
    "LookupBatch",
    "make_lookup_batch",
]

#: The chapter's task: 8 key tokens, 8 value tokens, 6 (key, value) pairs per example.
N_KEYS, N_VALUES, N_PAIRS = 8, 8, 6


class LookupBatch(NamedTuple):
    """A batch of lookup examples (all integer token ids).

    ``query (B,)``: the key token asked for; ``keys (B, S)``: the S distinct key tokens;
    ``values (B, S)``: the value token stored with each key; ``target (B,)``: the value
    stored with the query's key (the answer); ``position (B,)``: where that pair is, so that
    ``keys[b, position[b]] == query[b]`` and ``values[b, position[b]] == target[b]``.
    """

    query: Tensor  # (B,)
    keys: Tensor  # (B, S)
    values: Tensor  # (B, S)
    target: Tensor  # (B,)
    position: Tensor  # (B,)

    @property
    def inputs(self) -> tuple[Tensor, Tensor, Tensor]:
        """What the model sees: ``(query, keys, values)``; ``model(*batch.inputs)``."""
        return self.query, self.keys, self.values

    @property
    def batch_size(self) -> int:
        """B, the number of examples (``len(batch)`` is the number of fields, 5)."""
        return self.query.shape[0]

    def example(self, i: int) -> str:
        """Example ``i`` in words, e.g. ``"k3:v1 k0:v5 ... | query k0 -> v5"``."""
        i = index("i", i, self.batch_size, "an example of the batch")
        pairs = " ".join(
            f"k{k}:v{v}"
            for k, v in zip(self.keys[i].tolist(), self.values[i].tolist(), strict=True)
        )
        return f"{pairs} | query k{self.query[i].item()} -> v{self.target[i].item()}"


def check_generator(generator: object) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise TypeError(
            "generator must be a torch.Generator, e.g. torch.Generator().manual_seed(0); "
            f"got {type(generator).__name__}"
        )
    if generator.device.type != "cpu":
        raise ValueError(f"generator must be a CPU generator; got one on {generator.device}")
    return generator


def check_task(n_pairs: object, n_keys: object, n_values: object) -> None:
    _validate.positive_int("n_pairs", n_pairs)
    _validate.positive_int("n_keys", n_keys)
    _validate.positive_int("n_values", n_values)
    if n_pairs > n_keys:
        raise ValueError(
            f"n_pairs = {n_pairs} must be at most n_keys = {n_keys}: the keys of one example "
            "are distinct, so there must be at least as many key tokens as pairs"
        )


def make_lookup_batch(
    batch_size: int,
    n_pairs: int = N_PAIRS,
    n_keys: int = N_KEYS,
    n_values: int = N_VALUES,
    *,
    generator: torch.Generator,
) -> LookupBatch:
    """Draw ``batch_size`` lookup examples from ``generator`` (the global RNG is not touched).

    Each example has ``n_pairs`` distinct keys out of ``n_keys`` (in random order), a value
    for each out of ``n_values`` (repeats allowed), and a query equal to one of its keys,
    chosen uniformly. Same generator state, same batch.
    """
    _validate.positive_int("batch_size", batch_size)
    check_task(n_pairs, n_keys, n_values)
    g = check_generator(generator)
    B, S = batch_size, n_pairs
    keys = torch.rand(B, n_keys, generator=g).argsort(dim=-1)[:, :S]  # (B, S), distinct
    values = torch.randint(n_values, (B, S), generator=g)  # (B, S)
    position = torch.randint(S, (B,), generator=g)  # (B,)
    query = keys.gather(1, position[:, None]).squeeze(1)  # (B,)
    target = values.gather(1, position[:, None]).squeeze(1)  # (B,)
    return LookupBatch(query=query, keys=keys, values=values, target=target, position=position)
