"""Every exercise's catalogue entry is consistent: its own mistakes are told apart.

tests/test_exercises.py checks answers written the way learners write them; this file
checks the catalogue itself, for every exercise and every mistake it knows.
"""

import itertools
import re
from pathlib import Path

import pytest
import torch

import qkv_lib as qkv
from qkv_lib.exercises import EXERCISES, GENERIC_CODES
from qkv_lib.exercises.codes import SHARED_CODES
from qkv_lib.exercises.compare import close

MISTAKES = [
    pytest.param(ex, m, id=f"{ex.id}:{m.code}:{i}")
    for ex in EXERCISES.values()
    for i, m in enumerate(ex.mistakes)
]


def outputs(compute, inputs):
    """What ``compute`` returns on ``inputs`` as a tuple, or None when it cannot run there."""
    try:
        value = compute(*inputs.fresh())
    except RuntimeError:
        return None
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))
def test_reference_passes(exercise):
    result = qkv.check(exercise.id, exercise.reference)
    assert result.passed and result.code == "pass", result


@pytest.mark.parametrize("exercise,mistake", MISTAKES)
def test_each_mistake_gets_its_code(exercise, mistake):
    result = qkv.check(exercise.id, mistake.compute)
    assert not result.passed
    assert result.code == mistake.code, result
    assert result.message == mistake.message


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))
def test_no_two_mistakes_coincide_on_the_checker_inputs(exercise):
    """Reference and mistakes differ pairwise where they run (main inputs, else the probe)."""
    for inputs in filter(None, (exercise.inputs(), exercise.probe and exercise.probe())):
        variants = [("reference", exercise.reference)] + [
            (f"{m.code}:{i}", m.compute) for i, m in enumerate(exercise.mistakes)
        ]
        results = [(name, outputs(f, inputs)) for name, f in variants]
        ran = [(name, out) for name, out in results if out is not None]
        for (name_a, a), (name_b, b) in itertools.combinations(ran, 2):
            assert not close(a, b), f"{exercise.id}: {name_a} and {name_b} coincide"


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))
def test_inputs_have_distinct_sizes(exercise):
    inputs = exercise.inputs()
    sizes = list(inputs.sizes.values())
    assert len(set(sizes)) == len(sizes), inputs.sizes
    tensors = [a for a in inputs.args if isinstance(a, torch.Tensor)]
    # bool: a mask; int64: token ids or lengths
    assert all(a.dtype in (torch.float64, torch.bool, torch.int64) for a in tensors)
    for shape in exercise.outputs:
        assert set(shape) <= set(inputs.sizes), (shape, inputs.sizes)


def test_every_mistake_that_fails_on_the_main_inputs_runs_on_the_probe():
    for exercise in EXERCISES.values():
        for mistake in exercise.mistakes:
            if outputs(mistake.compute, exercise.inputs()) is None:
                assert exercise.probe is not None, (exercise.id, mistake.code)
                assert outputs(mistake.compute, exercise.probe()) is not None


def test_result_shows_itself():
    good = qkv.check("causal_mask", lambda T: torch.ones(T, T, dtype=torch.bool).tril())
    bad = qkv.check("causal_mask", lambda T: torch.ones(T, T, dtype=torch.bool).triu(1))
    assert str(good).startswith("✔ causal_mask") and repr(good) == str(good)
    assert str(bad).startswith("✘ causal_mask [mask-inverted]")
    assert 'data-code="mask-inverted"' in bad._repr_html_()
    assert "Correct" in good._repr_html_()


def test_every_code_the_diagnosis_gives_is_documented():
    """The instructors' table of codes is generated from GENERIC_CODES: it must be complete."""
    package = Path(__file__).resolve().parents[1] / "qkv_lib" / "exercises"
    given = set()
    for path in package.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        given |= set(re.findall(r'result\(\s*"([a-z-]+)"', source))
        given |= set(re.findall(r'CheckResult\([^)]*?"([a-z]+(?:-[a-z]+)+)"', source, flags=re.S))
    assert given, "no code found: the pattern no longer matches how the diagnosis gives codes"
    assert given <= set(GENERIC_CODES), f"undocumented codes: {sorted(given - set(GENERIC_CODES))}"
    mistakes = {m.code for e in EXERCISES.values() for m in e.mistakes}
    assert SHARED_CODES <= set(GENERIC_CODES) & mistakes, "a shared code that is not shared"
    reused = mistakes & set(GENERIC_CODES) - SHARED_CODES
    assert not reused, f"known mistakes reuse generic codes not declared shared: {reused}"
