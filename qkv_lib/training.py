"""Learn W_q, W_k, W_v and W_o from a task: a tiny lookup problem solved by one attention layer.

Taught in chapter 7, watch the projections learn. Each example is a short list of
(key, value) token pairs, all keys distinct, followed by a query token equal to one of the
keys; the answer is the value stored with that key. One cross-attention layer solves it:
the query token asks, the S pair positions are looked up (each position's embedding is its
key token's embedding plus its value token's embedding), W_q and W_k must learn to match the
query to the pair with the same key, and W_v and W_o must carry that pair's value to a
linear read-out over the value vocabulary.

Everything is small and runs on the CPU in about a second. Data come from an explicit
``torch.Generator`` (never the global random state); a model's initial weights come from its
``seed``. Shapes: B batch, S pairs per example (n_pairs), E embed dim, H heads, P probe
examples; n_keys and n_values are the sizes of the two token vocabularies.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import Tensor, nn

from . import _validate
from .modules import MultiHeadAttention

__all__ = [
    "BATCH_SIZE",
    "CHECKPOINTS",
    "EMBED_DIM",
    "LR",
    "N_KEYS",
    "N_PAIRS",
    "N_VALUES",
    "STEPS",
    "History",
    "LookupBatch",
    "LookupModel",
    "LookupOutput",
    "evaluate",
    "make_lookup_batch",
    "match_scores",
    "train",
]

#: The chapter's task: 8 key tokens, 8 value tokens, 6 (key, value) pairs per example.
N_KEYS, N_VALUES, N_PAIRS = 8, 8, 6
#: The chapter's model: embeddings of width E = 16, one head.
EMBED_DIM = 16
#: The chapter's training run (Adam): 300 steps reach > 95 % held-out accuracy in under 1 s.
STEPS, BATCH_SIZE, LR = 300, 64, 0.003
#: Steps at which the chapter's run records the attention on its probe examples.
CHECKPOINTS: tuple[int, ...] = (0, 10, 20, 30, 40, 50, 60, 80, 100, 300)


# --- the task -----------------------------------------------------------------------------


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
        pairs = " ".join(
            f"k{k}:v{v}"
            for k, v in zip(self.keys[i].tolist(), self.values[i].tolist(), strict=True)
        )
        return f"{pairs} | query k{self.query[i].item()} -> v{self.target[i].item()}"


def _generator(generator: object) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise TypeError(
            "generator must be a torch.Generator, e.g. torch.Generator().manual_seed(0); "
            f"got {type(generator).__name__}"
        )
    if generator.device.type != "cpu":
        raise ValueError(f"generator must be a CPU generator; got one on {generator.device}")
    return generator


def _check_task(n_pairs: object, n_keys: object, n_values: object) -> None:
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
    _check_task(n_pairs, n_keys, n_values)
    g = _generator(generator)
    B, S = batch_size, n_pairs
    keys = torch.rand(B, n_keys, generator=g).argsort(dim=-1)[:, :S]  # (B, S), distinct
    values = torch.randint(n_values, (B, S), generator=g)  # (B, S)
    position = torch.randint(S, (B,), generator=g)  # (B,)
    query = keys.gather(1, position[:, None]).squeeze(1)  # (B,)
    target = values.gather(1, position[:, None]).squeeze(1)  # (B,)
    return LookupBatch(query=query, keys=keys, values=values, target=target, position=position)


# --- the model ----------------------------------------------------------------------------


class LookupOutput(NamedTuple):
    """The model's answer: ``logits (B, n_values)`` and the query's attention ``weights (B, S)``."""

    logits: Tensor
    weights: Tensor


class LookupModel(nn.Module):
    """Embeddings, one cross-attention layer and a read-out: the smallest model for the task.

    ``query (B,)`` -> key embedding (B, 1, E), the attention's query input;
    ``keys, values (B, S)`` -> key embedding + value embedding (B, S, E), its key and value
    input; ``MultiHeadAttention`` -> (B, 1, E); ``readout`` -> ``logits (B, n_values)``.

    The learned parameters are W_q, W_k, W_v and W_o with their biases (``attention``) and
    the read-out (n_values, E) + bias. The token embeddings ``key_embedding`` (n_keys, E) and
    ``value_embedding`` (n_values, E) are fixed random vectors (``requires_grad=False``), like the
    output of earlier layers that this one cannot change: whatever the model learns about
    matching a query to a key must then go into W_q and W_k. With ``learn_embeddings=True``
    the embeddings are learned too, and they can take over the projections' job (a learned
    table followed by a learned matrix is one learned matrix).

    The initial weights are drawn with ``torch.manual_seed(seed)`` inside
    ``torch.random.fork_rng``, so the same ``seed`` gives the same model and the global
    random state is left as it was. ``seed=None`` uses the global random state instead.
    """

    def __init__(
        self,
        n_keys: int = N_KEYS,
        n_values: int = N_VALUES,
        embed_dim: int = EMBED_DIM,
        num_heads: int = 1,
        *,
        learn_embeddings: bool = False,
        seed: int | None = 0,
    ) -> None:
        super().__init__()
        self.n_keys = _validate.positive_int("n_keys", n_keys)
        self.n_values = _validate.positive_int("n_values", n_values)
        _validate.positive_int("embed_dim", embed_dim)
        _validate.positive_int("num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(
                f"embed_dim = {embed_dim} must be divisible by num_heads = {num_heads}, "
                "so that every head gets Dh = embed_dim / num_heads dimensions"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"seed must be an int or None; got {type(seed).__name__}")
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            self.key_embedding = nn.Embedding(n_keys, embed_dim)  # (n_keys, E)
            self.value_embedding = nn.Embedding(n_values, embed_dim)  # (n_values, E)
            self.attention = MultiHeadAttention(embed_dim, num_heads)  # W_q, W_k, W_v, W_o
            self.readout = nn.Linear(embed_dim, n_values)  # (n_values, E)
        if not isinstance(learn_embeddings, bool):
            raise TypeError(
                f"learn_embeddings must be True or False; got {type(learn_embeddings).__name__}"
            )
        self.key_embedding.weight.requires_grad_(learn_embeddings)
        self.value_embedding.weight.requires_grad_(learn_embeddings)

    def forward(self, query: Tensor, keys: Tensor, values: Tensor) -> LookupOutput:
        self._check_tokens(query, keys, values)
        asking = self.key_embedding(query)[:, None, :]  # (B, 1, E)
        pairs = self.key_embedding(keys) + self.value_embedding(values)  # (B, S, E)
        out, weights = self.attention(asking, pairs)  # (B, 1, E), (B, 1, S)
        logits = self.readout(out[:, 0])  # (B, n_values)
        return LookupOutput(logits=logits, weights=weights[:, 0])  # (B, n_values), (B, S)

    def _check_tokens(self, query: Tensor, keys: Tensor, values: Tensor) -> None:
        for name, t, ndim in (("query", query, 1), ("keys", keys, 2), ("values", values, 2)):
            if not isinstance(t, Tensor) or t.dtype != torch.long:
                kind = f"dtype {t.dtype}" if isinstance(t, Tensor) else type(t).__name__
                raise TypeError(f"{name} must be a tensor of token ids (torch.long); got {kind}")
            if t.dim() != ndim:
                shape = "(B,)" if ndim == 1 else "(B, S)"
                raise ValueError(f"{name} must have shape {shape}; got {_validate.shape_of(t)}")
        if keys.shape != values.shape or keys.shape[0] != query.shape[0]:
            raise ValueError(
                "keys and values must both be (B, S) and query (B,) with the same B; got "
                f"query {_validate.shape_of(query)}, keys {_validate.shape_of(keys)}, "
                f"values {_validate.shape_of(values)}"
            )
        for name, t, n in (
            ("query", query, self.n_keys),
            ("keys", keys, self.n_keys),
            ("values", values, self.n_values),
        ):
            if t.numel() and (t.min() < 0 or t.max() >= n):
                raise ValueError(
                    f"{name} holds token ids from {t.min().item()} to {t.max().item()}, "
                    f"but this model knows ids 0 to {n - 1}"
                )


def match_scores(model: LookupModel) -> Tensor:
    """The learned matching rule: scaled scores of every key token against every key token.

    Entry ``[i, j]`` is the score that a query for key token i gives a pair whose key is
    token j, leaving out the pair's value embedding: ``q_i · k_j / sqrt(Dh)`` with
    ``q_i = W_q x_i + b_q`` and ``k_j = W_k x_j + b_k``, x the key embeddings. Shape
    ``(H, n_keys, n_keys)``, one matrix per head. Computed without gradients.
    """
    if not isinstance(model, LookupModel):
        raise TypeError(f"model must be a LookupModel; got {type(model).__name__}")
    attention = model.attention
    H, Dh = attention.num_heads, attention.head_dim
    with torch.no_grad():
        x = model.key_embedding.weight  # (n_keys, E)
        q = attention.qkv.q_proj(x).view(-1, H, Dh).transpose(0, 1)  # (H, n_keys, Dh)
        k = attention.qkv.k_proj(x).view(-1, H, Dh).transpose(0, 1)  # (H, n_keys, Dh)
        return q @ k.transpose(-2, -1) / math.sqrt(Dh)  # (H, n_keys, n_keys)


# --- training -----------------------------------------------------------------------------


def evaluate(model: LookupModel, batch: LookupBatch) -> float:
    """The share of ``batch`` whose target value the model ranks first (no gradients)."""
    if not isinstance(model, LookupModel):
        raise TypeError(f"model must be a LookupModel; got {type(model).__name__}")
    if not isinstance(batch, LookupBatch):
        raise TypeError(f"batch must be a LookupBatch; got {type(batch).__name__}")
    with torch.no_grad():
        logits = model(*batch.inputs).logits  # (B, n_values)
    return (logits.argmax(dim=-1) == batch.target).float().mean().item()


@dataclass
class History:
    """What ``train`` records.

    ``loss (steps,)`` and ``accuracy (steps,)``: the training batch's cross-entropy and
    accuracy at each step, measured before that step's update. ``checkpoints``: the steps at
    which the probe was looked at (step s = after s updates); ``weights[s] (P, S)`` and
    ``predictions[s] (P,)``: the probe's attention weights and predicted values there;
    ``match[s] (H, n_keys, n_keys)``: :func:`match_scores` there. ``seconds``: wall time.
    """

    loss: Tensor
    accuracy: Tensor
    probe: LookupBatch
    checkpoints: tuple[int, ...]
    weights: dict[int, Tensor] = field(repr=False)
    predictions: dict[int, Tensor] = field(repr=False)
    match: dict[int, Tensor] = field(repr=False)
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return self.loss.shape[0]

    def correct_weight(self, step: int) -> Tensor:
        """Each probe example's weight on the pair whose key is its query, at ``step``: (P,)."""
        if step not in self.weights:
            raise ValueError(
                f"step {step} is not a checkpoint; the checkpoints are {self.checkpoints}"
            )
        w = self.weights[step]  # (P, S)
        return w.gather(1, self.probe.position[:, None]).squeeze(1)  # (P,)

    def __repr__(self) -> str:
        return (
            f"History({self.steps} steps in {self.seconds:.2f} s, final loss "
            f"{self.loss[-1]:.4f}, final batch accuracy {self.accuracy[-1]:.3f}, "
            f"{len(self.checkpoints)} checkpoints)"
        )


def _snapshot(model: LookupModel, probe: LookupBatch) -> tuple[Tensor, Tensor, Tensor]:
    with torch.no_grad():
        logits, weights = model(*probe.inputs)  # (P, n_values), (P, S)
    return weights.clone(), logits.argmax(dim=-1), match_scores(model)


def train(
    model: LookupModel,
    *,
    steps: int = STEPS,
    batch_size: int = BATCH_SIZE,
    lr: float = LR,
    generator: torch.Generator,
    n_pairs: int = N_PAIRS,
    probe: LookupBatch | None = None,
    checkpoints: Sequence[int] | None = None,
) -> History:
    """Train ``model`` in place with Adam on fresh batches of lookups; return its ``History``.

    Every step draws a new batch of ``batch_size`` examples with ``n_pairs`` pairs from
    ``generator``, computes the cross-entropy of the logits against the targets and takes
    one Adam step on the parameters that have ``requires_grad`` (freeze a part with
    ``requires_grad_(False)`` and it stays as it is). Nothing else is random, so the run is
    deterministic: the same initial model (same ``seed``) and the same generator state give
    the same losses, bit for bit, on the same machine.

    The loop runs on one CPU thread (the previous setting is restored afterwards): with
    matrices this small a second thread only adds overhead, and when another process keeps
    the second core busy, two threads waiting for each other make each step ~20x slower.

    ``probe`` (default: 4 examples from ``torch.Generator().manual_seed(1)``) is looked at
    after ``s`` updates for every ``s`` in ``checkpoints`` (default: 0, the end, and up to 10
    steps between; each in 0..steps).
    """
    if not isinstance(model, LookupModel):
        raise TypeError(f"model must be a LookupModel; got {type(model).__name__}")
    _validate.positive_int("steps", steps)
    _validate.positive_int("batch_size", batch_size)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise TypeError(f"lr must be a number; got {type(lr).__name__}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"lr must be a positive finite number; got {lr}")
    _check_task(n_pairs, model.n_keys, model.n_values)
    g = _generator(generator)
    if probe is None:
        probe_g = torch.Generator().manual_seed(1)
        probe = make_lookup_batch(4, n_pairs, model.n_keys, model.n_values, generator=probe_g)
    elif not isinstance(probe, LookupBatch):
        raise TypeError(f"probe must be a LookupBatch; got {type(probe).__name__}")
    if checkpoints is None:
        checkpoints = sorted({round(steps * i / 10) for i in range(11)})
    checkpoints = tuple(sorted(set(checkpoints)))
    bad = [s for s in checkpoints if isinstance(s, bool) or not isinstance(s, int)]
    bad += [s for s in checkpoints if isinstance(s, int) and not 0 <= s <= steps]
    if bad or not checkpoints:
        raise ValueError(
            f"checkpoints must be whole steps from 0 to steps = {steps}; got {checkpoints}"
        )
    learned = [p for p in model.parameters() if p.requires_grad]
    if not learned:
        raise ValueError("model has no parameter with requires_grad=True: nothing to train")

    optimizer = torch.optim.Adam(learned, lr=lr)
    losses = torch.empty(steps)
    accuracies = torch.empty(steps)
    weights, predictions, match = {}, {}, {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # see the docstring: faster here, and immune to a busy core
    start = time.perf_counter()
    try:
        for step in range(steps + 1):
            if step in checkpoints:
                weights[step], predictions[step], match[step] = _snapshot(model, probe)
            if step == steps:
                break
            batch = make_lookup_batch(
                batch_size, n_pairs, model.n_keys, model.n_values, generator=g
            )
            logits, _ = model(*batch.inputs)  # (B, n_values)
            loss = nn.functional.cross_entropy(logits, batch.target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses[step] = loss.detach()
            accuracies[step] = (logits.detach().argmax(dim=-1) == batch.target).float().mean()
    finally:
        torch.set_num_threads(threads)
    return History(
        loss=losses,
        accuracy=accuracies,
        probe=probe,
        checkpoints=checkpoints,
        weights=weights,
        predictions=predictions,
        match=match,
        seconds=time.perf_counter() - start,
    )
