"""The grader's child process from the outside: started, watched, stopped (``qkv-course grade``).

:func:`watch` starts :mod:`.runner` in a scratch folder, in a session of its own, with the
environment a chapter expects (explorers live, figures to Agg, checks not strict), and looks
at it every :data:`~.limits.POLL_SECONDS` until it ends, runs out of ``timeout``, writes more
than :data:`~.limits.OUTPUT_KILL` bytes to its stdout or stderr, or the run is cancelled. Its
whole process group is killed in every case, so nothing the notebook started lives on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .limits import OUTPUT_KILL, POLL_SECONDS, cell_budget

__all__ = ["runner_command", "watch"]

#: The folder holding ``qkv_lib``: the child imports the same package as the grader.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])


def runner_command(timeout: float, exercise_ids: list[str]) -> list[str]:
    """The child's command line, run in the scratch folder holding ``submission.ipynb``."""
    return [
        sys.executable,
        "-m",
        "qkv_lib.instructor.grading.runner",
        "submission.ipynb",
        "--budget",
        repr(cell_budget(timeout)),
        "--exercises",
        ",".join(exercise_ids),
        "--cpu-seconds",
        str(int(2 * timeout + 10)),  # a backstop should the grader die: it kills at timeout
    ]


def _environment(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "QKV_CHECK_STRICT"}
    path = env.get("PYTHONPATH")
    env.update(
        QKV_EXPLORER_MODE="live",
        MPLBACKEND="Agg",
        PYTHONDONTWRITEBYTECODE="1",
        IPYTHONDIR=str(scratch / ".ipython"),
        PYTHONPATH=_PACKAGE_ROOT + (os.pathsep + path if path else ""),
    )
    env.setdefault("OMP_NUM_THREADS", "1")  # --jobs N children share the machine's cores
    return env


def _exited(pid: int) -> bool:
    """True once the child has ended; it stays a zombie, so its group can still be killed."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def watch(command, scratch: Path, timeout: float, cancel: threading.Event) -> tuple[str, str]:
    """Run the child: ``(how, why)``, how being "ended", "timeout", "output" or "cancelled"."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            command,
            cwd=scratch,
            env=_environment(scratch),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        deadline, stopped = time.monotonic() + timeout, None
        try:
            while stopped is None:
                ended = _exited(child.pid)  # before the size: an ended child writes no more
                if cancel.is_set():
                    stopped = "cancelled"
                elif max(os.fstat(f.fileno()).st_size for f in (out, err)) > OUTPUT_KILL:
                    stopped = "output"
                elif ended:
                    break
                elif time.monotonic() > deadline:
                    stopped = "timeout"
                else:
                    time.sleep(POLL_SECONDS)
        finally:
            _kill_group(child.pid)  # also whatever the notebook started in the background
            child.wait()
        if stopped is not None:
            return stopped, ""
        err.seek(max(0, os.fstat(err.fileno()).st_size - 2000))
        lines = err.read().decode("utf-8", "replace").strip().splitlines()
        last = f": {lines[-1][:200]}" if lines and child.returncode != 0 else ""
        return "ended", _exit_status(child.returncode) + last


def _exit_status(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with status {returncode}"
