"""The course's worked examples: toy tables, token sets, a toy task and its model.

Every chapter and every explorer takes its data from here, so a figure in the book, the
numbers a chapter prints and the explorer beside them always agree. Each module holds the
example of one chapter; the names below are the ones the chapters use.

* :mod:`~qkv_lib.examples.lookup_table` chapter 1: four keys in the plane and their values
* :mod:`~qkv_lib.examples.sources`      chapter 2: a decoder that asks, an encoder that answers
* :mod:`~qkv_lib.examples.plane`        chapter 3: four tokens, W_q and W_k as rotations
* :mod:`~qkv_lib.examples.flow`         chapter 4: one attention step by step, with masks
* :mod:`~qkv_lib.examples.heads`        chapter 5: six hand-made heads with six jobs
* :mod:`~qkv_lib.examples.lookup_task`  chapter 7: the (key, value) lookup task
* :mod:`~qkv_lib.examples.lookup_model` chapter 7: the one-layer model that learns it
* :mod:`~qkv_lib.examples.cost`         chapter 8: timing attention and its largest tensor

This layer uses only the core maths (:mod:`qkv_lib.attention`, :mod:`qkv_lib.modules`, ...)
and torch: no plotting, no widgets. Random data come from explicit generators or fixed seeds.
"""

from .cost import AttentionCosts, attention_costs, largest_new_tensor, loglog_slope, time_call
from .flow import flow_example, flow_mask, flow_steps
from .heads import HEAD_JOBS, head_weights, heads_example, heads_layer, token_name, top_keys
from .lookup_model import LookupModel, LookupOutput, evaluate, match_scores
from .lookup_table import VALUE_FEATURES, ToyTable, query_at_angle, toy_dict, toy_keys_values
from .lookup_task import LookupBatch, make_lookup_batch
from .plane import ProjectedTokens, project_tokens, rotation, toy_tokens
from .sources import SourceAttention, source_attention, toy_projection, toy_sequences

__all__ = [
    "HEAD_JOBS",
    "VALUE_FEATURES",
    "AttentionCosts",
    "LookupBatch",
    "LookupModel",
    "LookupOutput",
    "ProjectedTokens",
    "SourceAttention",
    "ToyTable",
    "attention_costs",
    "evaluate",
    "flow_example",
    "flow_mask",
    "flow_steps",
    "head_weights",
    "heads_example",
    "heads_layer",
    "largest_new_tensor",
    "loglog_slope",
    "make_lookup_batch",
    "match_scores",
    "project_tokens",
    "query_at_angle",
    "rotation",
    "source_attention",
    "time_call",
    "token_name",
    "top_keys",
    "toy_dict",
    "toy_keys_values",
    "toy_projection",
    "toy_sequences",
    "toy_tokens",
]
