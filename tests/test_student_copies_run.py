"""The learners' copies run top to bottom, as a learner opens them: nbval, not strict.

`qkv-course student` writes the copies; each runs under nbval in a process of its own, with
`QKV_CHECK_STRICT` unset, because an exercise still a stub must report "not attempted" and let
the notebook go on, not stop it. (The answer keys, the chapters themselves, run under nbval in
strict mode in the main test run.)
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qkv_lib.instructor.student import write_student_copies

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
KEYS = sorted(CHAPTERS.glob("[0-9]*_*.ipynb"))


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    out = tmp_path_factory.mktemp("learners")
    return {path.name: path for path in write_student_copies(out, None, CHAPTERS)}


@pytest.mark.slow
@pytest.mark.parametrize("name", [p.name for p in KEYS])
def test_the_learners_copy_runs_top_to_bottom(copies, name):
    env = {k: v for k, v in os.environ.items() if k != "QKV_CHECK_STRICT"}
    env.pop("MPLBACKEND", None)  # the kernels pick their inline backend, as in a notebook
    command = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env"]
    command += ["-p", "no:cacheprovider", "-q", copies[name].name]
    proc = subprocess.run(
        command,
        cwd=copies[name].parent,  # outside the repository: none of its pytest settings apply
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
    assert proc.returncode == 0, f"the learners' copy of {name} failed under nbval:\n{tail}"
    assert " passed" in proc.stdout and " failed" not in proc.stdout, tail
