"""Tests for qkv_lib.retrieval: the toy table, exact lookup and soft lookup (chapter 1)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from qkv_lib import examples
from qkv_lib.examples import query_at_angle, toy_keys_values
from qkv_lib.retrieval import exact_lookup, soft_lookup


@pytest.fixture
def table():
    return toy_keys_values()


def test_toy_table_shapes_and_labels(table):
    keys, values, labels = table  # unpacks like a tuple
    assert keys.shape == (4, 2)  # (S, E)
    assert values.shape == (4, len(examples.VALUE_FEATURES))  # (S, Dv)
    assert labels == ("cat", "dog", "car", "tree")
    assert keys.dtype == values.dtype == torch.float32


def test_toy_keys_point_in_distinct_directions(table):
    unit = table.keys / table.keys.norm(dim=1, keepdim=True)
    cosines = unit @ unit.T
    off_diagonal = cosines[~torch.eye(4, dtype=torch.bool)]
    assert off_diagonal.max() < 0.9
    torch.testing.assert_close(table.keys.norm(dim=1), torch.full((4,), 2.0))


def test_toy_values_differ_from_keys_and_from_each_other(table):
    assert table.values.shape[1] != table.keys.shape[1]  # key space != value space
    assert len({tuple(v.tolist()) for v in table.values}) == 4


def test_toy_table_returns_fresh_tensors():
    first = toy_keys_values()
    first.keys.zero_()
    first.values.zero_()
    second = toy_keys_values()
    assert second.keys.abs().sum() > 0 and second.values.abs().sum() > 0


def test_toy_dict_matches_table(table):
    d = examples.toy_dict()
    assert list(d) == list(table.labels)
    torch.testing.assert_close(d["car"], table.values[2])


def test_query_at_angle():
    torch.testing.assert_close(query_at_angle(0), torch.tensor([2.0, 0.0]))
    torch.testing.assert_close(query_at_angle(90, length=3.0), torch.tensor([0.0, 3.0]))
    assert query_at_angle(123).shape == (2,)


def test_exact_lookup_hit_and_miss():
    table = {"cat": 1, "dog": 2}
    assert exact_lookup("dog", table) == 2
    with pytest.raises(KeyError) as excinfo:
        exact_lookup("kitten", table)
    message = str(excinfo.value)
    assert "'kitten'" in message and "'cat'" in message and "'dog'" in message
    with pytest.raises(TypeError, match="table"):
        exact_lookup("cat", [("cat", 1)])


def test_soft_lookup_single_query_weights_sum_to_one(table):
    output, weights = soft_lookup(query_at_angle(45), table.keys, table.values)
    assert weights.shape == (4,)
    assert output.shape == (3,)
    assert (weights >= 0).all()
    torch.testing.assert_close(weights.sum(), torch.tensor(1.0))
    torch.testing.assert_close(output, weights @ table.values)


def test_soft_lookup_matches_the_written_formula(table):
    query = torch.tensor([0.3, -1.2])
    temperature = 0.7
    _, weights = soft_lookup(query, table.keys, table.values, temperature)
    scores = [(k @ query).item() / (math.sqrt(2) * temperature) for k in table.keys]
    expected = torch.softmax(torch.tensor(scores), dim=0)
    torch.testing.assert_close(weights, expected)


def test_soft_lookup_at_temperature_one_is_pytorch_sdpa(table):
    queries = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))  # (T, E)
    output, weights = soft_lookup(queries, table.keys, table.values)
    expected = F.scaled_dot_product_attention(queries, table.keys, table.values)
    assert output.shape == (5, 3) and weights.shape == (5, 4)
    torch.testing.assert_close(output, expected)
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(5))


@pytest.mark.parametrize("index", range(4))
def test_query_equal_to_a_scaled_key_retrieves_its_value(table, index):
    output, weights = soft_lookup(10 * table.keys[index], table.keys, table.values)
    assert weights.argmax().item() == index
    torch.testing.assert_close(output, table.values[index], atol=1e-3, rtol=0)


def test_small_temperature_is_nearly_one_hot_and_large_is_nearly_uniform(table):
    query = query_at_angle(30)  # nearest key: cat at 20 degrees
    _, sharp = soft_lookup(query, table.keys, table.values, temperature=0.01)
    assert sharp[0].item() > 0.999
    _, flat = soft_lookup(query, table.keys, table.values, temperature=1000.0)
    torch.testing.assert_close(flat, torch.full((4,), 0.25), atol=1e-2, rtol=0)


def test_soft_lookup_accepts_scalar_values(table):
    output, weights = soft_lookup(query_at_angle(10), table.keys, torch.arange(4.0))
    assert output.shape == ()
    torch.testing.assert_close(output, weights @ torch.arange(4.0))


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"keys": torch.ones(4)}, ValueError, ["keys", "(S, E)", "(4,)"]),
        ({"query": torch.ones(3)}, ValueError, ["query", "E=2", "(3,)"]),
        ({"query": torch.ones(2, 2, 2)}, ValueError, ["query", "(2, 2, 2)"]),
        ({"values": torch.ones(5, 3)}, ValueError, ["values", "S=4", "(5, 3)"]),
        ({"values": torch.ones(4, 3, 2)}, ValueError, ["values", "(4, 3, 2)"]),
        ({"temperature": 0.0}, ValueError, ["temperature", "positive"]),
        ({"temperature": -1.0}, ValueError, ["temperature"]),
        ({"temperature": "1"}, TypeError, ["temperature"]),
        ({"query": [1.0, 0.0]}, TypeError, ["query", "Tensor"]),
        ({"keys": torch.ones(4, 2, dtype=torch.long)}, TypeError, ["keys", "floating"]),
    ],
)
def test_soft_lookup_rejects_bad_input(table, kwargs, error, words):
    arguments = {
        "query": query_at_angle(0),
        "keys": table.keys,
        "values": table.values,
        "temperature": 1.0,
    }
    arguments.update(kwargs)
    with pytest.raises(error) as excinfo:
        soft_lookup(**arguments)
    for word in words:
        assert word in str(excinfo.value)
