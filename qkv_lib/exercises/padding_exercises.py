"""The exercise on padding: ``mha_padding_mask``, a key padding mask built from lengths.

Set in chapter 6 (common confusions, §6.5): ``torch.nn.MultiheadAttention`` takes a bool
``key_padding_mask`` of shape (B, S) in which True marks a padding position, one that may
**not** be attended to (the opposite of the SDPA convention). The checker's batch holds two
full sequences (length S) and a short one, and B != S, so a comparison that forgets to give
``lengths`` an axis of its own raises; the probe, with B = S, shows what it computes.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import Tensor

from .inputs import Inputs
from .spec import Exercise, Mistake

SIZES = {"B": 3, "S": 5}  # every size distinct
LENGTHS = (5, 2, 5)  # two full sequences and a short one
PROBE_LENGTHS = (4, 2, 4, 3)  # B = S = 4: only there does `arange(S) >= lengths` run


def _inputs(lengths: tuple[int, ...] = LENGTHS, S: int = SIZES["S"]) -> Inputs:
    sizes = SIZES if lengths == LENGTHS else {"B": len(lengths), "S": S}
    return Inputs((torch.tensor(lengths), S), ("lengths", "S"), sizes)  # lengths: int64 (B,)


def _padding(
    lengths: Tensor, S: int, *, strict: bool = False, shift: int = 0, invert: bool = False
) -> Tensor:
    positions = torch.arange(S)  # (S,)
    first_pad = lengths[:, None] - shift  # (B, 1): the first padding position
    padding = positions > first_pad if strict else positions >= first_pad  # (B, S)
    return ~padding if invert else padding


def _not_broadcast(lengths: Tensor, S: int) -> Tensor:
    return torch.arange(S) >= lengths  # (S,) with (B,): runs only when B == S


_INVERTED = (
    "True and False are swapped: your mask is True on the real tokens. In "
    "nn.MultiheadAttention's key_padding_mask, True marks a padding position, one that may "
    "not be attended to: position j of sequence b is padding when j >= lengths[b]. (True on "
    "the real tokens is the SDPA convention, True = may attend.)"
)
_LATE = (
    "Off by one: your padding starts one position too late, so the first padding position "
    "of a short sequence can still be attended to. Positions count from 0, so a sequence of "
    "length n has its real tokens at 0 … n − 1 and its first padding at n: use j >= "
    "lengths[b], not j > lengths[b]."
)
_EARLY = (
    "Off by one: your padding starts one position too early, so the last real token of "
    "every sequence is hidden. A sequence of length n has its real tokens at positions 0 … "
    "n − 1: padding is j >= lengths[b], not j >= lengths[b] − 1."
)
_NOT_BROADCAST = (
    "You compared `torch.arange(S)`, shape (S,), with `lengths`, shape (B,), position by "
    "position. Give lengths an axis of its own, `lengths[:, None]` of shape (B, 1), so that "
    "the comparison broadcasts to the (B, S) mask: one row per sequence."
)


MHA_PADDING_MASK = Exercise(
    id="mha_padding_mask",
    chapter=6,
    title="A key padding mask for nn.MultiheadAttention",
    points=1,
    minutes=10,
    difficulty="easy",
    signature="fn(lengths, S) -> mask",
    reference=_padding,
    inputs=_inputs,
    outputs=(("B", "S"),),
    dtype="bool",
    true_means="padding, may not attend",
    mistakes=(
        Mistake("mask-inverted", _INVERTED, partial(_padding, invert=True)),
        Mistake("off-by-one", _LATE, partial(_padding, strict=True)),
        Mistake("off-by-one", _EARLY, partial(_padding, shift=1)),
        Mistake("lengths-not-broadcast", _NOT_BROADCAST, _not_broadcast),
    ),
    probe=partial(_inputs, PROBE_LENGTHS, len(PROBE_LENGTHS)),
)
