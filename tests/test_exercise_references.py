"""The library's own functions pass the exercises that ask for the same job.

Each checker has its own reference implementation; this keeps those references and the
library (``qkv_lib.heads``, ``masks``, ``attention``, ``retrieval``, ``projections``,
``modules``, ``kv_cache``, ``grouped``) from drifting apart. A new exercise must be added to
``LIBRARY`` or to ``NO_LIBRARY_COUNTERPART`` with the reason.
"""

import pytest
from torch.func import functional_call

from qkv_lib.attention import scaled_dot_product_attention
from qkv_lib.exercises import EXERCISES, check
from qkv_lib.grouped import grouped_query_attention
from qkv_lib.heads import merge_heads, split_heads
from qkv_lib.kv_cache import KVCache
from qkv_lib.masks import causal_mask, key_padding_mask
from qkv_lib.modules import MultiHeadAttention
from qkv_lib.projections import QKVProjection
from qkv_lib.retrieval import soft_lookup


def project_with_library(x_q, x_kv, W_q, W_k, W_v):
    """``QKVProjection`` with the exercise's (in, out) matrices W as its (out, in) weights Wᵀ."""
    layer = QKVProjection(W_q.size(0), W_q.size(1), bias=False, dtype=W_q.dtype)
    weights = {"q_proj.weight": W_q.T, "k_proj.weight": W_k.T, "v_proj.weight": W_v.T}
    return functional_call(layer, weights, (x_q, x_kv))  # (Q, K, V)


def multi_head_attention_with_library(x_q, x_kv, W_q, W_k, W_v, W_o, num_heads):
    """``MultiHeadAttention`` with the exercise's four (E, E) matrices as its weights."""
    layer = MultiHeadAttention(x_q.size(-1), num_heads, bias=False, dtype=x_q.dtype)
    matrices = {
        "in_proj.q_proj": W_q,
        "in_proj.k_proj": W_k,
        "in_proj.v_proj": W_v,
        "out_proj": W_o,
    }
    weights = {f"{name}.weight": W.T for name, W in matrices.items()}  # nn.Linear: (out, in)
    out, _ = functional_call(layer, weights, (x_q, x_kv, x_kv))  # (B, T, E)
    return out


def cross_attention_with_library(x_dec, x_enc, W_q, W_k, W_v):
    """``QKVProjection`` with ``kdim = vdim = E_enc``: an encoder of another width than E."""
    E, d_k = W_q.shape
    layer = QKVProjection(E, d_k, kdim=W_k.size(0), vdim=W_v.size(0), bias=False, dtype=W_q.dtype)
    weights = {"q_proj.weight": W_q.T, "k_proj.weight": W_k.T, "v_proj.weight": W_v.T}
    return functional_call(layer, weights, (x_dec, x_enc))  # (Q, K, V)


def decode_step_with_library(x_new, W_q, W_k, W_v, k_cache, v_cache):
    """A ``KVCache`` holding the exercise's caches, grown by the new token, then attention."""
    cache = KVCache()
    cache.append(k_cache, v_cache)
    keys, values = cache.append(x_new @ W_k, x_new @ W_v)  # (B, S+1, Dk), (B, S+1, Dv)
    out, _ = scaled_dot_product_attention(x_new @ W_q, keys, values)  # (B, 1, Dv)
    return out, keys, values


#: exercise id -> the library callable that does the same job, adapted to the exercise's call.
LIBRARY = {
    "soft_lookup": soft_lookup,
    "cross_attention_qkv": cross_attention_with_library,
    "project_qkv": project_with_library,
    "attention_weights": lambda Q, K: scaled_dot_product_attention(Q, K, K)[1],  # (B, T, S)
    "attention": lambda Q, K, V: scaled_dot_product_attention(Q, K, V)[0],  # (B, T, Dv)
    "causal_mask": causal_mask,
    "masked_attention": lambda Q, K, V, mask: scaled_dot_product_attention(Q, K, V, attn_mask=mask)[
        0
    ],  # (B, T, Dv)
    "split_heads": split_heads,
    "merge_heads": merge_heads,
    "multi_head_attention": multi_head_attention_with_library,
    "mha_padding_mask": key_padding_mask,
    "decode_step": decode_step_with_library,
    "grouped_query_attention": lambda q, k, v: grouped_query_attention(q, k, v)[0],  # (B, H, T, Dh)
}

#: exercise id -> why the library has no function doing its job.
NO_LIBRARY_COUNTERPART = {
    "scores": "scaled_dot_product_attention returns (out, weights), never the raw scores",
    "matching_rule": "examples.match_scores tabulates token scores, biases included; nothing "
    "returns W_q W_kᵀ / √d_k itself",
}


@pytest.mark.parametrize("exercise_id", list(LIBRARY))
def test_the_library_passes_its_exercise(exercise_id):
    result = check(exercise_id, LIBRARY[exercise_id])
    assert result.passed and result.code == "pass", result


def test_every_exercise_is_compared_with_the_library_or_says_why_not():
    assert not set(LIBRARY) & set(NO_LIBRARY_COUNTERPART)
    assert set(LIBRARY) | set(NO_LIBRARY_COUNTERPART) == set(EXERCISES), (
        "add the exercise to LIBRARY, or to NO_LIBRARY_COUNTERPART with the reason"
    )
