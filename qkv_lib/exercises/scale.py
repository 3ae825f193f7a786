"""Answers right up to a scale: a constant factor, or scores scaled by the wrong number.

Attention divides its scores by √d_k (chapter 4; √Dh per head in chapter 5, the matching rule
W_q W_kᵀ / √d_k in chapter 7, and chapters 1 and 8). An answer that divides by √S instead, or
by 3, or multiplies its output by a stray factor, is right up to a scale; the diagnosis
(:mod:`~qkv_lib.exercises.diagnosis`) then gives the code ``wrong-scale`` with a message
that names the factor, for an answer of the right shape with finite values that matches no
known mistake. What a constant factor means depends on the exercise:

* the scores (and the matching rule) are linear in their scale: a factor c on them is the
  scale c/√d_k, named from the inputs' sizes when it is one (1/√S: "divided by √S");
* after a softmax a wrong scale is no constant factor: for an exercise with a
  :class:`~qkv_lib.exercises.spec.ScoreScale`, the output is recomputed with the scores
  multiplied by candidate factors made from the sizes (1/√n, 1/n, √n, n for each axis), then,
  if none matches, by the factor fitted to the answer (the output is smooth in it);
* otherwise, a factor c on an output, found by least squares over all its elements and
  checked on every element, is named as such, with the sizes it may come from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence

from torch import Tensor

from .compare import as_tuple, close
from .inputs import Inputs
from .messages import which_output
from .spec import Exercise, ScoreScale

__all__ = ["constant_factor", "factor_form", "score_factor", "scores_message", "wrong_scale"]

#: What an axis is, for messages that name a size it was scaled by.
MEANINGS = {
    "B": "the batch size",
    "T": "the number of queries",
    "S": "the number of keys",
    "S+1": "the number of keys with the new one",
    "E": "the model width",
    "Dv": "the width of the values",
    "H": "the number of heads",
    "G": "the number of key/value heads",
    "Dh": "the width of a head",
    "d_k": "the width of the queries and keys",
}
#: Scales fitted to an answer are looked for between these two factors.
FIT_RANGE = (1e-3, 1e3)


def wrong_scale(
    exercise: Exercise, returned: Sequence[Tensor], expected: Sequence[Tensor], inputs: Inputs
) -> str | None:
    """The message for an answer that is right up to a scale, or None when it is not."""
    spec = exercise.score_scale
    if spec is not None and not spec.linear:
        factor = score_factor(spec, returned, inputs)
        if factor is not None:
            return scores_message(spec, factor, inputs.sizes)
    for i, (got, want) in enumerate(zip(returned, expected, strict=True)):
        if close((got,), (want,)):
            continue
        c = constant_factor(got, want)
        if c is None:
            return None
        times = f"{which_output(exercise, i)}is the expected one times {c:.3g}"
        if spec is not None and spec.linear:
            factor = c / math.sqrt(inputs.sizes[spec.axis])
            message = scores_message(spec, factor, inputs.sizes)
            return f"{times}: y{message[1:]}"  # "...: you divided the scores by √S ..."
        form = factor_form(c, inputs.sizes)
        maybe = f" (perhaps {form})" if form else ""
        after = " The only scale here is on the scores, before the softmax." if spec else ""
        return (
            f"{times}{maybe}: every entry is off by the same factor. Look for a number you "
            f"multiply or divide by.{after}"
        )
    return None


def constant_factor(got: Tensor, want: Tensor) -> float | None:
    """The c, neither 0 nor 1, with ``got`` = c · ``want`` on every element, if there is one."""
    g, w = got.double(), want.double()
    norm = float((w * w).sum())
    if norm == 0.0:
        return None
    c = float((g * w).sum()) / norm  # least squares over all the elements
    if not math.isfinite(c) or abs(c) < 1e-3 or abs(c - 1.0) < 1e-3:
        return None
    return c if close((g,), (c * w,)) else None


def score_factor(spec: ScoreScale, returned: Sequence[Tensor], inputs: Inputs) -> float | None:
    """The factor the answer's scores were multiplied by, when recomputing with it matches.

    Candidates made from the sizes come first; then the factor that fits best, found on a
    grid over ``FIT_RANGE`` and refined by a golden-section search.
    """
    args = inputs.fresh()
    right = 1 / math.sqrt(inputs.sizes[spec.axis])

    def output(factor: float) -> tuple[Tensor, ...]:
        return as_tuple(spec.compute(*args, factor=factor))

    def fits(factor: float) -> bool:
        return abs(factor / right - 1) > 1e-3 and close(returned, output(factor))

    for factor, _ in _forms(inputs.sizes):
        if fits(factor):
            return factor
    got = [t.double() for t in returned]

    def loss(log_factor: float) -> float:
        out = output(math.exp(log_factor))
        return float(sum(((o.double() - g) ** 2).sum() for o, g in zip(out, got, strict=True)))

    best = _minimise(loss, *(math.log(x) for x in FIT_RANGE))
    return math.exp(best) if fits(math.exp(best)) else None


def scores_message(spec: ScoreScale, factor: float, sizes: Mapping[str, int]) -> str:
    """What multiplying the scores by ``factor`` amounts to, and the scale to use instead."""
    did = next((text for value, text in _forms(sizes) if _near(factor, value)), None)
    if did is None:
        did = f"divided by {1 / factor:.3g}" if factor < 1 else f"multiplied by {factor:.3g}"
    label, d = spec.label, sizes[spec.axis]
    meaning = MEANINGS.get(label, "the width of the vectors that are dotted")
    return (
        f"You {did.replace('by', spec.what + ' by', 1)}; divide by √{label} = √{d} ≈ "
        f"{math.sqrt(d):.3g} instead ({label}: {meaning})."
    )


def factor_form(c: float, sizes: Mapping[str, int]) -> str | None:
    """A way to write ``c`` with the named sizes (``√d_k/√S``, ``1/B``, ...), if there is one."""
    if _near(c, -1.0):
        return "-1: the sign is flipped"
    named = [(n, size) for n, size in sizes.items() if size > 1]
    forms = list(_single_forms(named))
    forms += [
        (op(a_size, b_size), f"{wa}/{wb}")
        for a, a_size in named
        for b, b_size in named
        if a != b
        for op, wa, wb in (
            (lambda x, y: math.sqrt(x / y), _root(a), _root(b)),
            (lambda x, y: x / y, a, b),
        )
    ]
    return next((text for value, text in forms if _near(c, value)), None)


def _single_forms(named: Sequence[tuple[str, int]]) -> Iterator[tuple[float, str]]:
    yield from ((1 / math.sqrt(n), f"1/{_root(a)}") for a, n in named)
    yield from ((1 / n, f"1/{a}") for a, n in named)
    yield from ((math.sqrt(n), _root(a)) for a, n in named)
    yield from ((float(n), a) for a, n in named)


def _forms(sizes: Mapping[str, int]) -> Iterator[tuple[float, str]]:
    """(a factor on the scores, what it means as "divided by √S = √5") for each size."""
    named = [(name, size) for name, size in sizes.items() if size > 1]
    yield from ((1 / math.sqrt(n), f"divided by {_root(a)} = √{n}") for a, n in named)
    yield from ((1 / n, f"divided by {a} = {n}") for a, n in named)
    yield from ((math.sqrt(n), f"multiplied by {_root(a)} = √{n}") for a, n in named)
    yield from ((float(n), f"multiplied by {a} = {n}") for a, n in named)


def _root(name: str) -> str:
    return f"√({name})" if "+" in name else f"√{name}"


def _near(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-4 * abs(b)


def _minimise(loss: Callable[[float], float], low: float, high: float, steps: int = 13) -> float:
    """Where ``loss`` is smallest on [low, high]: the best of a grid, refined around it."""
    grid = [low + (high - low) * i / (steps - 1) for i in range(steps)]
    values = [loss(x) for x in grid]
    i = min(range(steps), key=values.__getitem__)
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, steps - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = loss(c), loss(d)
    for _ in range(32):  # the bracket shrinks to 1e-6 of its width
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = loss(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = loss(d)
    return (a + b) / 2
