"""qkv_lib: the teaching library of the QKV course.

Every chapter notebook starts with ``import qkv_lib as qkv``. The package reads as an API,
in layers that only ever import downwards (README, "The package qkv_lib"):

* core maths, torch only:
  :mod:`~qkv_lib.attention` scaled dot-product attention, step by step (chapters 1 and 4);
  :mod:`~qkv_lib.masks` causal and padding masks, both PyTorch conventions (chapters 4, 6);
  :mod:`~qkv_lib.projections` the W_q, W_k, W_v projections (chapters 2 and 3);
  :mod:`~qkv_lib.heads` splitting into heads and merging them back (chapter 5);
  :mod:`~qkv_lib.modules` multi-head attention like ``torch.nn.MultiheadAttention`` (ch. 5);
  :mod:`~qkv_lib.retrieval` attention as a soft dictionary lookup (chapter 1);
  :mod:`~qkv_lib.rope` rotary position embeddings, :mod:`~qkv_lib.kv_cache` the KV cache and
  :mod:`~qkv_lib.grouped` grouped-query attention (chapter 8);
* :mod:`~qkv_lib.exercises` the exercises and ``check``, their mistake-aware checker;
* :mod:`~qkv_lib.examples` every chapter's worked example; :mod:`~qkv_lib.training` the
  training loop of chapter 7;
* :mod:`~qkv_lib.plotting` figures in one style;
* :mod:`~qkv_lib.widgets` the explorers and :mod:`~qkv_lib.quiz` the quizzes;
* :func:`setup_notebook` (:mod:`~qkv_lib.notebook`), the set-up cell of every chapter.

Only the core maths is imported with the package. Everything else is imported the first
time it is used (PEP 562), so ``import qkv_lib.attention`` or ``import qkv_lib.exercises``
loads neither matplotlib nor ipywidgets.

Shape notation used everywhere (the intro's table): B batch, T query length, S key/value
length, E embed dim, Dk query/key width, H heads, Dh = E / H head dim, Dv value dim.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from . import attention, grouped, heads, kv_cache, masks, modules, projections, retrieval, rope
from .attention import masked_softmax, scaled_dot_product_attention
from .grouped import grouped_query_attention, repeat_kv_heads
from .heads import merge_heads, split_heads
from .kv_cache import KVCache, kv_cache_bytes
from .masks import (
    additive_mask,
    causal_mask,
    key_padding_mask,
    mha_mask_from_sdpa,
    sdpa_mask_from_mha,
)
from .modules import MultiHeadAttention
from .projections import QKVProjection
from .rope import rotary

if TYPE_CHECKING:  # what static tools see; at run time these load on first use
    from . import examples, exercises, notebook, plotting, quiz, training, widgets
    from .exercises import check
    from .notebook import setup_notebook

try:  # the one version number lives in pyproject.toml; the installed metadata carries it
    __version__ = version("qkv-lib")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

#: Submodules imported on first use: ``qkv.plotting`` imports matplotlib only when touched.
_LAZY_MODULES = ("examples", "exercises", "notebook", "plotting", "quiz", "training", "widgets")
#: Functions imported on first use, by the module that defines them.
_LAZY_FUNCTIONS = {"check": "exercises", "setup_notebook": "notebook"}

__all__ = [
    "KVCache",
    "MultiHeadAttention",
    "QKVProjection",
    "additive_mask",
    "attention",
    "causal_mask",
    "check",
    "examples",
    "exercises",
    "grouped",
    "grouped_query_attention",
    "heads",
    "key_padding_mask",
    "kv_cache",
    "kv_cache_bytes",
    "masked_softmax",
    "masks",
    "merge_heads",
    "mha_mask_from_sdpa",
    "modules",
    "notebook",
    "plotting",
    "projections",
    "quiz",
    "repeat_kv_heads",
    "retrieval",
    "rope",
    "rotary",
    "scaled_dot_product_attention",
    "sdpa_mask_from_mha",
    "setup_notebook",
    "split_heads",
    "training",
    "widgets",
]


def __getattr__(name: str) -> Any:
    """Import a lazy submodule or function the first time it is looked up (PEP 562)."""
    if name in _LAZY_MODULES:
        value = importlib.import_module(f".{name}", __name__)
    elif name in _LAZY_FUNCTIONS:
        value = getattr(importlib.import_module(f".{_LAZY_FUNCTIONS[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
