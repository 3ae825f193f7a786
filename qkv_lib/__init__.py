"""qkv_lib: the teaching library of the QKV course.

Every chapter notebook starts with ``import qkv_lib as qkv``. The package reads as an API:

* :mod:`qkv_lib.attention`   scaled dot-product attention, step by step (chapters 1 and 4)
* :mod:`qkv_lib.masks`       causal and padding masks, both PyTorch conventions (ch. 4, 6)
* :mod:`qkv_lib.projections` the W_q, W_k, W_v projections (chapters 2 and 3)
* :mod:`qkv_lib.heads`       splitting into heads and merging them back (chapter 5)
* :mod:`qkv_lib.modules`     multi-head attention like ``torch.nn.MultiheadAttention`` (ch. 5)
* :mod:`qkv_lib.retrieval`   attention as a soft dictionary lookup (chapter 1)
* :mod:`qkv_lib.exercises`   the exercises and ``check``, their mistake-aware checker
* :mod:`qkv_lib.quiz`        multiple-choice questions with feedback (chapter 6)
* :mod:`qkv_lib.training`    learning W_q, W_k, W_v and W_o from a lookup task (chapter 7)
* :mod:`qkv_lib.plotting`, :mod:`qkv_lib.widgets`, :mod:`qkv_lib.notebook`: figures, set-up

Shape notation used everywhere: B batch, T or L query length, S key/value length,
E embed dim, H heads, Dh = E / H head dim, Dv value dim.
"""

from . import (
    attention,
    exercises,
    heads,
    masks,
    modules,
    plotting,
    projections,
    quiz,
    retrieval,
    training,
    widgets,
)
from .attention import masked_softmax, scaled_dot_product_attention
from .exercises import check
from .heads import merge_heads, split_heads
from .masks import (
    additive_mask,
    causal_mask,
    key_padding_mask,
    mha_mask_from_sdpa,
    sdpa_mask_from_mha,
)
from .modules import MultiHeadAttention
from .notebook import setup_notebook
from .projections import QKVProjection

__version__ = "0.1.0"

__all__ = [
    "MultiHeadAttention",
    "QKVProjection",
    "additive_mask",
    "attention",
    "causal_mask",
    "check",
    "exercises",
    "heads",
    "key_padding_mask",
    "masked_softmax",
    "masks",
    "merge_heads",
    "mha_mask_from_sdpa",
    "modules",
    "plotting",
    "projections",
    "quiz",
    "retrieval",
    "scaled_dot_product_attention",
    "sdpa_mask_from_mha",
    "setup_notebook",
    "split_heads",
    "training",
    "widgets",
]
