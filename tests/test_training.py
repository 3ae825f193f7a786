"""Tests for qkv_lib.training (chapter 7): the lookup task, the model, training, evaluation.

The chapter's training run is done once for the module (about half a second) and shared.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.axes import Axes

import qkv_lib as qkv
from qkv_lib import training
from qkv_lib.examples import LookupBatch, LookupModel, lookup_model, lookup_task, make_lookup_batch
from qkv_lib.training import train


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def chapter_run(model: LookupModel) -> training.History:
    return train(model, generator=gen(0), checkpoints=training.CHECKPOINTS)


@pytest.fixture(scope="module")
def trained() -> tuple[LookupModel, training.History]:
    model = LookupModel(seed=0)
    return model, chapter_run(model)


@pytest.fixture(scope="module")
def held_out() -> LookupBatch:
    return make_lookup_batch(1000, generator=gen(123))


# --- the task -----------------------------------------------------------------------------


def test_batch_shapes_and_types():
    batch = make_lookup_batch(5, 4, 6, 3, generator=gen())
    assert batch.query.shape == batch.target.shape == batch.position.shape == (5,)
    assert batch.keys.shape == batch.values.shape == (5, 4)  # (B, S)
    assert all(t.dtype == torch.long for t in batch)
    assert batch.batch_size == 5
    assert batch.inputs == (batch.query, batch.keys, batch.values)
    assert batch.keys.max() < 6 and batch.values.max() < 3 and batch.keys.min() >= 0


def test_batch_is_deterministic_for_a_generator_and_leaves_global_state_alone():
    state = torch.get_rng_state()
    first = make_lookup_batch(64, generator=gen(7))
    second = make_lookup_batch(64, generator=gen(7))
    other = make_lookup_batch(64, generator=gen(8))
    assert torch.equal(torch.get_rng_state(), state)
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(first.keys, other.keys)


def test_keys_are_distinct_and_the_target_is_the_value_of_the_query_key():
    batch = make_lookup_batch(500, generator=gen(1))
    for keys in batch.keys:
        assert len(set(keys.tolist())) == lookup_task.N_PAIRS
    rows = torch.arange(batch.batch_size)
    assert torch.equal(batch.keys[rows, batch.position], batch.query)
    assert torch.equal(batch.values[rows, batch.position], batch.target)
    # the query's key appears exactly once, so the answer is unambiguous
    assert ((batch.keys == batch.query[:, None]).sum(dim=1) == 1).all()
    # every position and every value is used (nothing degenerate)
    assert set(batch.position.tolist()) == set(range(lookup_task.N_PAIRS))
    assert set(batch.target.tolist()) == set(range(lookup_task.N_VALUES))


def test_n_pairs_equal_to_n_keys_uses_every_key():
    batch = make_lookup_batch(3, 4, 4, 2, generator=gen())
    assert (batch.keys.sort(dim=1).values == torch.arange(4)).all()


def test_example_in_words():
    batch = LookupBatch(
        query=torch.tensor([2]),
        keys=torch.tensor([[0, 2]]),
        values=torch.tensor([[5, 1]]),
        target=torch.tensor([1]),
        position=torch.tensor([1]),
    )
    assert batch.example(0) == "k0:v5 k2:v1 | query k2 -> v1"


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"n_pairs": 9}, ValueError, ["n_pairs = 9", "n_keys = 8", "distinct"]),
        ({"batch_size": 0}, ValueError, ["batch_size"]),
        ({"batch_size": 2.5}, TypeError, ["batch_size"]),
        ({"n_values": 0}, ValueError, ["n_values"]),
        ({"generator": 0}, TypeError, ["generator", "torch.Generator"]),
        ({"generator": None}, TypeError, ["generator"]),
    ],
)
def test_make_lookup_batch_rejects_bad_arguments(kwargs, error, words):
    arguments = {"batch_size": 4, "generator": gen(), **kwargs}
    with pytest.raises(error) as excinfo:
        make_lookup_batch(**arguments)
    for word in words:
        assert word in str(excinfo.value)


# --- the model ----------------------------------------------------------------------------


def test_model_output_shapes():
    model = LookupModel()
    batch = make_lookup_batch(5, generator=gen())
    logits, weights = model(*batch.inputs)
    assert logits.shape == (5, lookup_task.N_VALUES)  # (B, n_values)
    assert weights.shape == (5, lookup_task.N_PAIRS)  # (B, S)
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(5))
    four_heads = LookupModel(embed_dim=16, num_heads=4)
    logits, weights = four_heads(*make_lookup_batch(3, 2, generator=gen()).inputs)
    assert logits.shape == (3, lookup_task.N_VALUES) and weights.shape == (3, 2)


def test_learned_parameters_are_the_projections_and_the_readout():
    E, V = lookup_model.EMBED_DIM, lookup_task.N_VALUES
    model = LookupModel()
    learned = {name for name, p in model.named_parameters() if p.requires_grad}
    assert learned == {
        f"attention.{part}.{kind}"
        for part in ("in_proj.q_proj", "in_proj.k_proj", "in_proj.v_proj", "out_proj")
        for kind in ("weight", "bias")
    } | {"readout.weight", "readout.bias"}
    n_learned = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert n_learned == 4 * (E * E + E) + (E * V + V) == 1224
    fixed = model.key_embedding.weight.numel() + model.value_embedding.weight.numel()
    assert fixed == (lookup_task.N_KEYS + V) * E
    both = LookupModel(learn_embeddings=True)
    assert all(p.requires_grad for p in both.parameters())


def test_model_seed_is_reproducible_and_leaves_global_state_alone():
    state = torch.get_rng_state()
    a, b, c = LookupModel(seed=3), LookupModel(seed=3), LookupModel(seed=4)
    assert torch.equal(torch.get_rng_state(), state)
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q), name
    assert not torch.equal(a.readout.weight, c.readout.weight)


def test_model_is_one_cross_attention_layer():
    """The model's weights are exactly the library layer's, with query = the query token."""
    model = LookupModel()
    batch = make_lookup_batch(4, generator=gen())
    with torch.no_grad():
        asking = model.key_embedding(batch.query)[:, None]  # (B, 1, E)
        pairs = model.key_embedding(batch.keys) + model.value_embedding(batch.values)
        out, weights = model.attention(asking, pairs, pairs)  # (B, 1, E), (B, 1, S)
        logits, w = model(*batch.inputs)
    torch.testing.assert_close(w, weights[:, 0])
    torch.testing.assert_close(logits, model.readout(out[:, 0]))


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: LookupModel(embed_dim=10, num_heads=3), ValueError, ["divisible"]),
        (lambda: LookupModel(n_keys=0), ValueError, ["n_keys"]),
        (lambda: LookupModel(seed=1.5), TypeError, ["seed"]),
        (lambda: LookupModel(learn_embeddings="yes"), TypeError, ["learn_embeddings"]),
    ],
)
def test_model_rejects_bad_arguments(make, error, words):
    with pytest.raises(error) as excinfo:
        make()
    for word in words:
        assert word in str(excinfo.value)


def test_model_rejects_bad_tokens():
    model = LookupModel()
    q, k, v = make_lookup_batch(2, generator=gen()).inputs
    with pytest.raises(TypeError, match="query must be a tensor of token ids"):
        model(q.float(), k, v)
    with pytest.raises(ValueError, match=r"keys must have shape \(B, S\)"):
        model(q, k[0], v)
    with pytest.raises(ValueError, match="same B"):
        model(q[:1], k, v)
    with pytest.raises(ValueError, match=r"values holds token ids from 8 to .*knows ids 0 to 7"):
        model(q, k, v + 8)


# --- training -----------------------------------------------------------------------------


def test_history_records_every_step_and_checkpoint(trained):
    _, history = trained
    assert history.steps == training.STEPS
    assert history.loss.shape == history.accuracy.shape == (training.STEPS,)
    assert history.checkpoints == training.CHECKPOINTS
    P = history.probe.batch_size
    for step in history.checkpoints:
        assert history.weights[step].shape == (P, lookup_task.N_PAIRS)
        assert history.predictions[step].shape == (P,)
        assert history.match[step].shape == (1, lookup_task.N_KEYS, lookup_task.N_KEYS)
    assert history.seconds > 0
    assert repr(history).startswith("History(300 steps in ")


def test_training_is_deterministic(trained):
    _, history = trained
    threads = torch.get_num_threads()
    again = chapter_run(LookupModel(seed=0))
    assert torch.get_num_threads() == threads  # train's single thread is given back
    assert torch.equal(again.loss, history.loss)
    assert torch.equal(again.accuracy, history.accuracy)
    for step in history.checkpoints:
        assert torch.equal(again.weights[step], history.weights[step])


def test_training_learns(trained, held_out):
    model, history = trained
    assert lookup_model.evaluate(model, held_out) > 0.95
    first, last = history.loss[:20].mean(), history.loss[-20:].mean()
    assert first > 1.9  # about log(8) = 2.08: guessing
    assert last < 0.05 * first
    assert history.accuracy[-20:].mean() > 0.95


def test_untrained_model_is_at_chance(held_out):
    accuracy = lookup_model.evaluate(LookupModel(seed=0), held_out)
    assert abs(accuracy - 1 / lookup_task.N_VALUES) < 0.06


def test_attention_is_spread_before_and_focused_after(trained):
    _, history = trained
    before, after = history.weights[0], history.weights[training.STEPS]  # (P, S)
    assert before.max() < 0.5
    assert history.correct_weight(0).mean() < 0.35
    assert history.correct_weight(training.STEPS).mean() > 0.8
    assert torch.equal(history.predictions[training.STEPS], history.probe.target)
    assert torch.equal(after.argmax(dim=1), history.probe.position)


def test_correct_weight_on_a_held_out_batch(trained, held_out):
    model, _ = trained
    with torch.no_grad():
        _, weights = model(*held_out.inputs)  # (B, S)
    correct = weights.gather(1, held_out.position[:, None])
    assert correct.mean() > 0.8


def test_match_scores_become_diagonal(trained):
    model, history = trained
    final = lookup_model.match_scores(model)  # (H, n_keys, n_keys)
    torch.testing.assert_close(final, history.match[training.STEPS])
    assert torch.equal(final[0].argmax(dim=-1), torch.arange(lookup_task.N_KEYS))
    assert not torch.equal(history.match[0][0].argmax(dim=-1), torch.arange(lookup_task.N_KEYS))
    # the same numbers by hand: the bilinear form of chapter 3, with biases
    x = model.key_embedding.weight  # (n_keys, E)
    with torch.no_grad():
        q = model.attention.in_proj.q_proj(x)  # (n_keys, E)
        k = model.attention.in_proj.k_proj(x)  # (n_keys, E)
    torch.testing.assert_close(final[0], q @ k.T / math.sqrt(lookup_model.EMBED_DIM))


def test_match_scores_per_head():
    model = LookupModel(num_heads=2)
    scores = lookup_model.match_scores(model)
    assert scores.shape == (2, lookup_task.N_KEYS, lookup_task.N_KEYS)
    x = model.key_embedding.weight
    with torch.no_grad():
        q = model.attention.in_proj.q_proj(x)[:, 8:]  # head 1: the second 8 dimensions
        k = model.attention.in_proj.k_proj(x)[:, 8:]
    torch.testing.assert_close(scores[1], q @ k.T / math.sqrt(8))


def test_frozen_projections_cannot_learn_to_retrieve(trained, held_out):
    model = LookupModel(seed=0)
    model.attention.in_proj.q_proj.requires_grad_(False)
    model.attention.in_proj.k_proj.requires_grad_(False)
    w_q = model.attention.in_proj.q_proj.weight.clone()
    history = chapter_run(model)
    assert torch.equal(model.attention.in_proj.q_proj.weight, w_q)  # untouched
    assert torch.equal(history.weights[0], history.weights[training.STEPS])  # attention too
    frozen = lookup_model.evaluate(model, held_out)
    full = lookup_model.evaluate(trained[0], held_out)
    assert frozen < 0.6 and full - frozen > 0.4


def test_evaluate_counts_correct_answers():
    model = LookupModel()
    batch = make_lookup_batch(50, generator=gen())
    with torch.no_grad():
        predicted = model(*batch.inputs).logits.argmax(dim=-1)
    rigged = batch._replace(target=predicted)
    assert lookup_model.evaluate(model, rigged) == 1.0
    assert 0.0 <= lookup_model.evaluate(model, batch) <= 1.0
    with pytest.raises(TypeError, match="batch must be a LookupBatch"):
        lookup_model.evaluate(model, tuple(batch))
    with pytest.raises(TypeError, match="model must be a LookupModel"):
        lookup_model.evaluate(torch.nn.Linear(2, 2), batch)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"steps": 0}, ValueError, ["steps"]),
        ({"lr": -1.0}, ValueError, ["lr", "positive"]),
        ({"lr": "fast"}, TypeError, ["lr"]),
        ({"batch_size": 0}, ValueError, ["batch_size"]),
        ({"n_pairs": 9}, ValueError, ["n_pairs = 9", "n_keys = 8"]),
        ({"generator": 1}, TypeError, ["generator"]),
        ({"checkpoints": (0, 5)}, ValueError, ["checkpoints", "0 to steps = 3"]),
        ({"checkpoints": (1.5,)}, ValueError, ["checkpoints"]),
        ({"probe": "abc"}, TypeError, ["probe"]),
    ],
)
def test_train_rejects_bad_arguments(kwargs, error, words):
    arguments = {"steps": 3, "generator": gen(), **kwargs}
    with pytest.raises(error) as excinfo:
        train(LookupModel(), **arguments)
    for word in words:
        assert word in str(excinfo.value)


def test_train_rejects_a_wrong_model_and_a_fully_frozen_one():
    with pytest.raises(TypeError, match="model must be a LookupModel"):
        train(torch.nn.Linear(2, 2), steps=1, generator=gen())
    model = LookupModel().requires_grad_(False)
    with pytest.raises(ValueError, match="nothing to train"):
        train(model, steps=1, generator=gen())


def test_correct_weight_needs_a_checkpoint(trained):
    with pytest.raises(ValueError, match="not a checkpoint"):
        trained[1].correct_weight(7)


# --- the plotting helper ------------------------------------------------------------------


def test_training_curves_draws_both_curves_with_labels(trained):
    _, history = trained
    ax = qkv.plotting.training_curves(
        history.loss, history.accuracy, mark=50, chance=0.125, title="run"
    )
    assert isinstance(ax, Axes)
    twin = [a for a in ax.figure.axes if a is not ax]
    assert len(twin) == 1
    for a in (ax, *twin):
        assert a.get_xlabel() and a.get_ylabel()
    assert twin[0].get_ylim() == (0, 1.02)
    (loss_line,) = [line for line in ax.get_lines() if line.get_label() == "loss"]
    assert len(loss_line.get_xdata()) == training.STEPS
    assert any(list(line.get_xdata()) == [50, 50] for line in ax.get_lines())  # the mark
    assert ax.get_title() == "run"


def test_training_curves_loss_only_and_bad_input(trained):
    _, history = trained
    _, ax = plt.subplots()
    assert qkv.plotting.training_curves([2.0, 1.0, 0.5], ax=ax, loss_limit=3) is ax
    assert ax.get_ylim() == (0, 3) and len(ax.figure.axes) == 1
    with pytest.raises(ValueError, match="one value per step for both"):
        qkv.plotting.training_curves(history.loss, history.accuracy[:-1])
    with pytest.raises(ValueError, match="accuracy must hold shares between 0 and 1"):
        qkv.plotting.training_curves([1.0, 2.0], [0.5, 1.5])
    with pytest.raises(ValueError, match="loss must be 1-D"):
        qkv.plotting.training_curves(torch.zeros(2, 2))


@pytest.fixture(scope="module")
def history() -> training.History:
    return training.chapter_run(0)


# --- the chapter's run, shared with its explorer ---------------------------------------


def test_training_run_is_the_chapters_run_and_is_cached(history):
    assert training.chapter_run(0) is history  # computed once
    model = LookupModel(seed=0)
    fresh = training.train(model, generator=torch.Generator().manual_seed(0))
    assert torch.equal(fresh.loss, history.loss)  # deterministic: the same numbers
    assert history.checkpoints == training.CHECKPOINTS
    assert history.steps == training.STEPS
    with pytest.raises(TypeError, match="seed must be an int"):
        training.chapter_run("0")


def test_the_run_goes_from_spread_to_focused(history):
    assert history.correct_weight(0).mean() < 0.35
    assert history.correct_weight(training.STEPS).mean() > 0.8
