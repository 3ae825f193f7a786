"""What the learner-style exercise tests share: one assertion about a check's verdict.

Used by tests/test_exercises_mask_and_sources.py, tests/test_exercises_padding_and_training.py
and tests/test_exercises_modern.py.
"""

from __future__ import annotations

import qkv_lib as qkv


def expect(exercise_id, answer, code, *words):
    """Check ``answer``: it gets ``code``, passes only if that is "pass", and its message shows
    no traceback or tensor dump and contains each of ``words`` (case-insensitive)."""
    result = qkv.check(exercise_id, answer)
    assert result.code == code, f"expected {code}, got {result.code}: {result.message}"
    assert result.passed is (code == "pass")
    assert "Traceback" not in result.message and "tensor(" not in result.message
    for word in words:
        assert word.lower() in result.message.lower(), (word, result.message)
    return result
