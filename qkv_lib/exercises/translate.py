"""Turn an exception raised by a learner's answer into advice the learner can act on.

A failed matrix product is explained from its operands' shapes, named with the course's axis
names (chapters 1 to 8); other errors get a plain sentence (endless recursion, ``sys.exit()``,
a ``.view()`` of a transposed tensor, a reshape to the wrong number of elements) or their own
first line.
"""

from __future__ import annotations

from torch import Tensor

from .inputs import Inputs
from .messages import describe
from .observation import Error, MatmulRecord

_BY_TYPE = {
    "RecursionError": (
        "RecursionError: your function kept calling itself and never stopped. Perhaps it "
        "calls a function by its own name, meaning another one (the library's, or the one it "
        "replaces), or a function that calls itself lacks a case that returns directly."
    ),
    "SystemExit": (
        "SystemExit: your function called exit() or sys.exit(), which would stop the "
        "notebook's kernel. `return` the result instead."
    ),
}


def base_exception(error: BaseException) -> str:
    """What to say of an exception that is not an ``Exception`` the answer let out."""
    name = type.__dict__["__name__"].__get__(type(error))
    return (
        f"Your function raised {name}, which is not an ordinary exception (it derives from "
        "BaseException, as KeyboardInterrupt does) and would stop the notebook. Raise a "
        "ValueError or a RuntimeError for an error, or return the result."
    )


def explain(error: Error, record: MatmulRecord | None, inputs: Inputs) -> str:
    """One or two sentences on what went wrong and what to change.

    ``record`` is the matrix product that failed, if one did; it names the operands that were
    arguments, so that an operand can be called ``K`` rather than "a tensor".
    """
    if error.type_name in _BY_TYPE:
        return _BY_TYPE[error.type_name]
    if record is not None:
        return _explain_matmul(record, inputs)
    text = error.message.splitlines()[0] if error.message else ""
    if "view size is not compatible" in text:
        return (
            "`.view()` needs a contiguous tensor, and a transposed tensor is not: use "
            "`.reshape(...)` instead (or `.contiguous().view(...)`)."
        )
    if "is invalid for input of size" in text:
        return (
            f"A reshape asked for a shape with a different number of elements ({text}). "
            "Check the sizes you pass to view/reshape."
        )
    if len(text) > 200:
        text = text[:200] + "..."
    return f"{error.type_name}: {text}" if text else error.type_name


def _explain_matmul(record: MatmulRecord, inputs: Inputs) -> str:
    a, b = record.left, record.right
    a_name, b_name = record.left_name, record.right_name
    a_text, b_text = describe(a, inputs.sizes), describe(b, inputs.sizes)
    head = (
        f"In a matrix product `@`, {a_name or 'a tensor'} {a_text} @ {b_name or 'a tensor'} "
        f"{b_text}"
    )
    reversed_input = next(
        (
            name
            for name, arg in zip(inputs.names, inputs.args, strict=True)
            if isinstance(arg, Tensor) and arg.dim() > 2 and tuple(arg.shape[::-1]) == tuple(b)
        ),
        None,
    )
    if reversed_input is not None:
        return (
            f"{head}: the right operand has all its axes reversed, which is what `.T` does to a "
            f"tensor with more than two axes. Transpose only the last two axes: "
            f"`{reversed_input}.transpose(-2, -1)` (or `{reversed_input}.mT`)."
        )
    if a.numel() and b.numel() and len(a) >= 1 and len(b) >= 2 and a[-1] != b[-2]:
        if a[-1] == b[-1]:
            fix = _transpose_advice("right", b_name)
        elif len(a) >= 2 and a[-2] == b[-2]:
            fix = _transpose_advice("left", a_name)
        elif len(a) >= 2 and b[-1] == a[-2]:
            fix = "swap the two operands: the order of a matrix product matters"
        else:
            fix = "check which tensors you are multiplying"
        return (
            f"{head}: the last axis on the left ({a[-1]}) must equal the second-to-last on the "
            f"right ({b[-2]}). To fix it, {fix}."
        )
    return f"{head}: the leading (batch) axes do not match."


def _transpose_advice(side: str, name: str | None) -> str:
    how = f"`{name}.mT` or `{name}.transpose(-2, -1)`" if name else "`.mT` or `.transpose(-2, -1)`"
    return f"transpose the last two axes of the {side} operand ({how})"
