"""Chapter 4's worked example: one attention computation, from scores to output.

Taught in chapter 4, the simple attention flow. Four tokens ("the cat sat <pad>") with
small integer queries, keys and values go through the steps scores -> scaled -> masked ->
weights -> output, with scaling on or off and no mask, a causal mask or a padding mask.
Shapes: T queries, S keys (T = S = 4 here), d_k the width of a query and a key (4),
Dv value dim (2).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .. import _validate
from ..attention import masked_softmax
from ..masks import causal_mask, key_padding_mask, sdpa_mask_from_mha

__all__ = ["MASKS", "STEPS", "TOKENS", "flow_example", "flow_mask", "flow_steps"]

#: The steps of the flow, in order, as the explorer's slider shows them.
STEPS: tuple[str, ...] = ("scores", "scaled", "masked", "weights", "output")
#: The mask choices: none, causal (no looking ahead), padding (the last token is padding).
MASKS: tuple[str, ...] = ("none", "causal", "padding")
#: The four tokens of the example; the last one is padding (a filler, not a real token).
TOKENS: tuple[str, ...] = ("the", "cat", "sat", "<pad>")
_LENGTH = 3  # real tokens before the padding


def flow_example() -> tuple[Tensor, Tensor, Tensor]:
    """The explorer's fixed example: Q (T, d_k) = (4, 4), K (S, d_k) = (4, 4), V (S, Dv) = (4, 2).

    Small integers, so the scores can be checked by hand. The padding key gets high scores
    from several queries, so leaving it unmasked visibly pulls the outputs towards its value.
    """
    Q = torch.tensor([[2.0, 0, 1, 0], [0, 2, 0, 1], [1, 1, 2, 0], [0, 1, 1, 2]])  # (T, d_k)
    K = torch.tensor([[2.0, 0, 0, 0], [0, 2, 1, 0], [1, 0, 2, 0], [1, 2, 1, 2]])  # (S, d_k)
    V = torch.tensor([[1.0, 0], [0, 1], [1, 1], [-1, -1]])  # (S, Dv)
    return Q, K, V


def flow_mask(mask: str) -> Tensor | None:
    """The boolean SDPA-convention mask (T, S) for ``mask``, or None for "none".

    ``True`` means *may attend*: the query may attend to that key.
    """
    T = S = len(TOKENS)
    if mask == "none":
        return None
    if mask == "causal":
        return causal_mask(T, S)  # (T, S)
    if mask == "padding":
        padding = key_padding_mask([_LENGTH], S)  # (1, S), True = padding (MHA convention)
        return sdpa_mask_from_mha(padding).expand(T, S)  # (T, S), True = may attend
    raise ValueError(f"mask must be one of {MASKS}; got {mask!r}")


def flow_steps(scaling: bool = True, mask: str = "none") -> dict[str, Tensor]:
    """Every intermediate matrix of the example, by step name (see ``STEPS``).

    ``scores``, ``scaled``, ``masked`` and ``weights`` are (T, S); ``output`` is (T, Dv).
    Scaling divides by √d_k with d_k = ``Q.shape[-1]`` (here d_k = 4); with ``scaling``
    False the "scaled" step leaves the scores unchanged; masked scores are
    ``-inf``. The weights use :func:`qkv_lib.masked_softmax`, as the library's attention does.
    """
    scaling = _validate.flag("scaling", scaling)
    allowed = flow_mask(mask)
    Q, K, V = flow_example()
    scores = Q @ K.T  # (T, S)
    scaled = scores / math.sqrt(Q.shape[-1]) if scaling else scores  # (T, S)
    masked = scaled if allowed is None else scaled.masked_fill(~allowed, float("-inf"))
    weights = masked_softmax(masked, dim=-1)  # (T, S), each row sums to 1
    output = weights @ V  # (T, Dv)
    return {
        "scores": scores,
        "scaled": scaled,
        "masked": masked,
        "weights": weights,
        "output": output,
    }
