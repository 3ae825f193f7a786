"""What every result code of the checker means, for learners' messages and instructors' tables.

A check's ``code`` is either one of the codes below, which any exercise can give, or the code
of one of that exercise's known mistakes (``Exercise.mistakes``: ``missing-scale``, ...).
The instructors' page of the book prints both tables from here and from the catalogue, and a
test checks that the diagnosis (:mod:`~qkv_lib.exercises.diagnosis`) gives no other code.
"""

from __future__ import annotations

__all__ = ["GENERIC_CODES"]

#: Codes any exercise can give, in the order the diagnosis tries them, with what they mean.
GENERIC_CODES: dict[str, str] = {
    "not-attempted": "the function is missing, still a stub, or returns nothing",
    "wrong-type": "not a function, or a result that is not the tensor(s) asked for (type, dtype)",
    "error": "parameters that do not fit the call, or an error no known mistake explains",
    "mutates-input": "the function changed one of its arguments in place",
    "pass": "correct",
    "wrong-shape": "a result of the wrong shape, none of the known mistakes",
    "non-finite": "a result with NaN or infinity in it",
    "wrong-values": "the right shape, wrong values, none of the known mistakes",
    "checker-error": "the checker itself failed on this answer: a bug in the course to report",
}
