"""What every result code of the checker means, for learners' messages and instructors' tables.

A check's ``code`` is either one of the codes below, which any exercise can give, or the code
of one of that exercise's known mistakes (``Exercise.mistakes``: ``missing-scale``, ...).
The instructors' page of the book prints both tables from here and from the catalogue, and a
test checks that the diagnosis (:mod:`~qkv_lib.exercises.diagnosis`) gives no other code.
"""

from __future__ import annotations

from .deadline import DEFAULT_SECONDS, TIMEOUT_ENV

__all__ = ["GENERIC_CODES", "SHARED_CODES"]

#: Codes any exercise can give, in the order the diagnosis tries them, with what they mean.
GENERIC_CODES: dict[str, str] = {
    "not-attempted": "the function is missing, still a stub, or returns nothing",
    "wrong-type": "not a function, or a result that is not the tensor(s) asked for (type, dtype)",
    "error": "parameters that do not fit the call, or an error no known mistake explains",
    "too-slow": (
        f"the function ran longer than the time limit ({DEFAULT_SECONDS:g} s unless "
        f"{TIMEOUT_ENV} says otherwise) and was stopped: an endless loop, or far too much work"
    ),
    "mutates-input": "the function changed one of its arguments in place",
    "pass": "correct",
    "wrong-shape": "a result of the wrong shape, none of the known mistakes",
    "non-finite": "a result with NaN or infinity in it",
    "wrong-scale": (
        "right up to a scale: the expected result times a constant factor, or scores scaled "
        "by another number than the right one (the message names it, e.g. √S for √d_k)"
    ),
    "wrong-values": "the right shape, wrong values, none of the known mistakes",
    "checker-error": "the checker itself failed on this answer: a bug in the course to report",
}

#: Generic codes that exercises' known mistakes share: the same misconception, named by the
#: known mistake's own message when it matches one, else by the generic step.
SHARED_CODES = frozenset({"wrong-scale"})
