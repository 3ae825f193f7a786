"""The checkers of chapter 8: ``grouped_query_attention`` and ``decode_step``.

As in tests/test_exercises_mask_and_sources.py: answers written the way learners write them.
Correct variants in other styles pass; each known mistake gets its own code and says why;
junk never raises and gets a code (strict mode, for every exercise, is in
tests/test_exercises.py).
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from exercise_helpers import expect

import qkv_lib as qkv
from qkv_lib.exercises import EXERCISES


# ----------------------------------------------------------------- grouped_query_attention
def attend(q, k, v, scale=None):
    scale = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    return torch.softmax(q @ k.transpose(-2, -1) * scale, dim=-1) @ v  # (B, H, T, Dh)


def gqa_interleave(q, k, v):
    r = q.size(1) // k.size(1)
    return attend(q, k.repeat_interleave(r, dim=1), v.repeat_interleave(r, dim=1))


def gqa_expand(q, k, v):
    """Llama's `repeat_kv`: a new axis after the heads, expanded, then flattened."""
    B, G, S, Dh = k.shape
    r = q.size(1) // G
    k = k[:, :, None].expand(B, G, r, S, Dh).reshape(B, G * r, S, Dh)
    v = v[:, :, None].expand(B, G, r, S, Dh).reshape(B, G * r, S, Dh)
    return attend(q, k, v)


def gqa_grouped_queries(q, k, v):
    """No copies of K and V: group the query heads instead, (B, G, H/G, T, Dh)."""
    B, H, T, Dh = q.shape
    G = k.size(1)
    q = q.view(B, G, H // G, T, Dh)
    scores = q @ k[:, :, None].transpose(-2, -1) / math.sqrt(Dh)  # (B, G, H/G, T, S)
    out = torch.softmax(scores, dim=-1) @ v[:, :, None]  # (B, G, H/G, T, Dh)
    return out.reshape(B, H, T, Dh)


def gqa_loop(q, k, v):
    r = q.size(1) // k.size(1)
    heads = [attend(q[:, h], k[:, h // r], v[:, h // r]) for h in range(q.size(1))]
    return torch.stack(heads, dim=1)


def gqa_einsum_float32(q, k, v):
    q, k, v = q.float(), k.float(), v.float()
    B, H, T, Dh = q.shape
    G = k.size(1)
    scores = torch.einsum("bgrtd,bgsd->bgrts", q.view(B, G, H // G, T, Dh), k) / Dh**0.5
    return torch.einsum("bgrts,bgsd->bgrtd", scores.softmax(-1), v).flatten(1, 2)


@pytest.mark.parametrize(
    "answer",
    [
        gqa_interleave,
        gqa_expand,
        gqa_grouped_queries,
        gqa_loop,
        gqa_einsum_float32,
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
        lambda q, k, v: qkv.grouped_query_attention(q, k, v)[0],
    ],
)
def test_grouped_query_attention_correct_variants_pass(answer):
    expect("grouped_query_attention", answer, "pass")


def gqa_repeat(q, k, v):
    r = q.size(1) // k.size(1)
    return attend(q, k.repeat(1, r, 1, 1), v.repeat(1, r, 1, 1))


def gqa_expand_in_front(q, k, v):
    B, G, S, Dh = k.shape
    r = q.size(1) // G
    k = k[:, None].expand(B, r, G, S, Dh).reshape(B, G * r, S, Dh)
    v = v[:, None].expand(B, r, G, S, Dh).reshape(B, G * r, S, Dh)
    return attend(q, k, v)


def gqa_tile(q, k, v):
    r = q.size(1) // k.size(1)
    return attend(q, k.tile(1, r, 1, 1), v.tile(1, r, 1, 1))


@pytest.mark.parametrize(
    "answer, code, word",
    [
        (gqa_repeat, "heads-repeated-in-wrong-order", "repeat_interleave"),
        (gqa_expand_in_front, "heads-repeated-in-wrong-order", "consecutive"),
        (gqa_tile, "heads-repeated-in-wrong-order", "h // (H/G)"),
        (
            lambda q, k, v: attend(q, k.repeat_interleave(2, 1), v.repeat_interleave(2, 1), 1.0),
            "missing-scale",
            "√Dh",
        ),
        (
            lambda q, k, v: attend(
                q, k.repeat_interleave(2, 1), v.repeat_interleave(2, 1), 1 / math.sqrt(48)
            ),
            "wrong-scale",
            "model width",
        ),
        (
            lambda q, k, v: (
                torch.softmax(q @ k.repeat_interleave(2, 1).mT / math.sqrt(8), dim=-2)
                @ v.repeat_interleave(2, 1)
            ),
            "softmax-wrong-axis",
            "dim=-1",
        ),
    ],
)
def test_grouped_query_attention_mistakes_get_their_code(answer, code, word):
    expect("grouped_query_attention", answer, code, word)


def test_the_checker_sizes_tell_repeat_from_repeat_interleave():
    q, k, v = EXERCISES["grouped_query_attention"].inputs().args
    H, G = q.size(1), k.size(1)
    assert H % G == 0 and H // G != G and k.shape == v.shape
    assert len({*q.shape, *k.shape}) == 6  # B, H, T, Dh, G, S all distinct


def test_heads_that_do_not_pair_up_get_advice():
    expect("grouped_query_attention", attend, "error", "H = 6", "G = 3", "repeat_interleave")
    expect(
        "grouped_query_attention",
        lambda q, k, v: attend(q, k.repeat_interleave(3, 1), v.repeat_interleave(3, 1)),
        "error",
        "to 9 heads",
        "H/G = 2 times",
    )


def test_a_grouped_result_left_in_five_axes_gets_a_hint():
    def answer(q, k, v):
        B, H, T, Dh = q.shape
        return gqa_grouped_queries(q, k, v).view(B, k.size(1), H // k.size(1), T, Dh)

    expect("grouped_query_attention", answer, "wrong-shape", "(B, H, T, Dh)", "reshape")


@pytest.mark.parametrize(
    "answer, code",
    [
        (None, "not-attempted"),
        (42, "wrong-type"),
        (lambda q, k: q, "error"),
        (lambda q, k, v: attend(q, k, v), "error"),  # 6 query heads against 3 K/V heads
        (lambda q, k, v: (gqa_interleave(q, k, v), k), "wrong-type"),
        (lambda q, k, v: gqa_interleave(q, k, v).numpy(), "wrong-type"),
        (lambda q, k, v: gqa_interleave(q.mul_(1.0), k, v), "pass"),  # unchanged in place
        (lambda q, k, v: gqa_interleave(q.div_(2.0), k, v), "mutates-input"),
        (lambda q, k, v: gqa_interleave(q, k, v) + 0.1, "wrong-values"),
        (lambda q, k, v: gqa_interleave(q, k, v) / 0.0, "non-finite"),
    ],
)
def test_grouped_query_attention_junk_gets_a_code(answer, code):
    expect("grouped_query_attention", answer, code)


# ---------------------------------------------------------------------------- decode_step
def decode_ref(x_new, W_q, W_k, W_v, k_cache, v_cache):
    q, k, v = x_new @ W_q, x_new @ W_k, x_new @ W_v  # (B, 1, d_k), (B, 1, d_k), (B, 1, Dv)
    k_cache = torch.cat([k_cache, k], dim=1)  # (B, S+1, d_k)
    v_cache = torch.cat([v_cache, v], dim=1)  # (B, S+1, Dv)
    weights = torch.softmax(q @ k_cache.transpose(1, 2) / math.sqrt(q.size(-1)), dim=-1)
    return weights @ v_cache, k_cache, v_cache


def decode_with_sdpa(x_new, W_q, W_k, W_v, k_cache, v_cache):
    keys = torch.cat((k_cache, x_new @ W_k), dim=-2)
    values = torch.cat((v_cache, x_new @ W_v), dim=-2)
    return F.scaled_dot_product_attention(x_new @ W_q, keys, values), keys, values


def decode_with_library(x_new, W_q, W_k, W_v, k_cache, v_cache):
    cache = qkv.KVCache()
    cache.append(k_cache, v_cache)
    keys, values = cache.append(x_new @ W_k, x_new @ W_v)
    return qkv.scaled_dot_product_attention(x_new @ W_q, keys, values)[0], keys, values


def decode_einsum_float32_list(x_new, W_q, W_k, W_v, k_cache, v_cache):
    x, Wq, Wk, Wv = x_new.float(), W_q.float(), W_k.float(), W_v.float()
    keys = torch.cat([k_cache.float(), torch.einsum("bte,ed->btd", x, Wk)], dim=1)
    values = torch.cat([v_cache.float(), torch.einsum("bte,ev->btv", x, Wv)], dim=1)
    q = torch.einsum("bte,ed->btd", x, Wq)
    weights = torch.einsum("btd,bsd->bts", q, keys).div(q.shape[-1] ** 0.5).softmax(-1)
    return [weights @ values, keys, values]  # a list will do


@pytest.mark.parametrize(
    "answer", [decode_ref, decode_with_sdpa, decode_with_library, decode_einsum_float32_list]
)
def test_decode_step_correct_variants_pass(answer):
    expect("decode_step", answer, "pass")


def decode_old_cache_only(x_new, W_q, W_k, W_v, k_cache, v_cache):
    q = x_new @ W_q
    weights = torch.softmax(q @ k_cache.mT / math.sqrt(q.size(-1)), dim=-1)
    out = weights @ v_cache  # attended before appending
    return out, torch.cat([k_cache, x_new @ W_k], 1), torch.cat([v_cache, x_new @ W_v], 1)


def decode_prepend(x_new, W_q, W_k, W_v, k_cache, v_cache):
    keys = torch.cat([x_new @ W_k, k_cache], dim=1)
    values = torch.cat([x_new @ W_v, v_cache], dim=1)
    weights = torch.softmax((x_new @ W_q) @ keys.mT / math.sqrt(W_q.size(1)), dim=-1)
    return weights @ values, keys, values


def decode_default_cat(x_new, W_q, W_k, W_v, k_cache, v_cache):
    keys = torch.cat([k_cache, x_new @ W_k])  # dim=0 by default: the batch axis
    values = torch.cat([v_cache, x_new @ W_v])
    weights = torch.softmax((x_new @ W_q) @ keys.mT / math.sqrt(W_q.size(1)), dim=-1)
    return weights @ values, keys, values


def decode_old_caches_returned(x_new, W_q, W_k, W_v, k_cache, v_cache):
    out, _, _ = decode_ref(x_new, W_q, W_k, W_v, k_cache, v_cache)
    return out, k_cache, v_cache


def decode_scaled_by(factor):
    def answer(x_new, W_q, W_k, W_v, k_cache, v_cache):
        keys = torch.cat([k_cache, x_new @ W_k], dim=1)
        values = torch.cat([v_cache, x_new @ W_v], dim=1)
        scores = (x_new @ W_q) @ keys.mT * factor(x_new, W_q)
        return torch.softmax(scores, dim=-1) @ values, keys, values

    return answer


def decode_softmax_over_queries(x_new, W_q, W_k, W_v, k_cache, v_cache):
    keys = torch.cat([k_cache, x_new @ W_k], dim=1)
    values = torch.cat([v_cache, x_new @ W_v], dim=1)
    scores = (x_new @ W_q) @ keys.mT / math.sqrt(W_q.size(1))
    return torch.softmax(scores, dim=1) @ values, keys, values


@pytest.mark.parametrize(
    "answer, code, word",
    [
        (decode_old_cache_only, "new-token-not-attended", "itself"),
        (decode_prepend, "cache-wrong-order", "at the end"),
        (decode_default_cat, "cache-wrong-axis", "dim=1"),
        (decode_old_caches_returned, "cache-not-grown", "S+1"),
        (decode_scaled_by(lambda x, W: 1.0), "missing-scale", "√d_k"),
        (decode_scaled_by(lambda x, W: x.size(-1) ** -0.5), "wrong-scale", "√E"),
        (decode_softmax_over_queries, "softmax-wrong-axis", "one query"),
    ],
)
def test_decode_step_mistakes_get_their_code(answer, code, word):
    expect("decode_step", answer, code, word)


def test_the_checker_sizes_differ_and_the_probe_lets_a_cat_on_the_batch_axis_run():
    inputs = EXERCISES["decode_step"].inputs()
    x_new, *_, k_cache, v_cache = inputs.args
    assert x_new.shape == (2, 1, 7) and k_cache.shape == (2, 4, 3) and v_cache.shape == (2, 4, 6)
    assert len(set(inputs.sizes.values())) == len(inputs.sizes)
    probe = EXERCISES["decode_step"].probe().args
    assert probe[0].size(0) == probe[4].size(1) == 1  # B = S = 1: cat on dim 0 runs there


def test_a_cache_that_did_not_grow_by_one_gets_a_hint():
    def answer(x_new, W_q, W_k, W_v, k_cache, v_cache):
        out, keys, values = decode_ref(x_new, W_q, W_k, W_v, k_cache, v_cache)
        return out, keys[:, 1:], values  # dropped the oldest key: a sliding window, by mistake

    expect("decode_step", answer, "wrong-shape", "k_cache", "(B, S+1, d_k)", "S+1")


@pytest.mark.parametrize(
    "answer, code",
    [
        (None, "not-attempted"),
        ("decode_step", "wrong-type"),
        (lambda x_new, W_q, W_k, W_v: x_new, "error"),
        (lambda *args: decode_ref(*args)[0], "wrong-type"),  # the output alone
        (lambda *args: decode_ref(*args)[:2], "wrong-type"),
        (lambda *args: (decode_ref(*args)[0], None, None), "wrong-type"),
        (lambda *args: decode_ref(*args[:4], args[4].mul_(2), args[5]), "mutates-input"),
        (lambda *args: tuple(t + 1e-2 for t in decode_ref(*args)), "wrong-values"),
        (lambda *args: (decode_ref(*args)[0] * math.nan, *decode_ref(*args)[1:]), "non-finite"),
    ],
)
def test_decode_step_junk_gets_a_code(answer, code):
    expect("decode_step", answer, code)
