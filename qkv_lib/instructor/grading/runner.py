"""The child process of ``qkv-course grade``: the only place a learner's notebook runs.

    python -m qkv_lib.instructor.grading.runner NOTEBOOK --budget SECONDS --exercises ID,...
                                                [--cpu-seconds N]

Started by :mod:`.child` in a scratch folder (the current directory) holding the notebook
and the grader's inputs, ``in/<id>.pt`` (and ``in/<id>.probe.pt``). It runs every code cell in
an IPython shell (no kernel), an error in one cell not stopping the next, until ``--budget``
seconds are spent; then it HARVESTS: for each exercise it calls the function named after it on
the grader's inputs with :func:`qkv_lib.exercises.observe` and saves the observation to
``out/<id>.pt`` (or, for a function that is missing or fails to run, a note ``out/<id>.json``).
``out/done.json`` comes last; :mod:`.guards` keeps it in bounds all along. Nothing here
decides a grade: :mod:`.judge`, in the grader's process, does, so whatever the notebook
patches in this process earns nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .guards import Alarm, CappedWriter, OutOfTime, limit
from .limits import HARVEST_SECONDS

_monotonic, _open = time.monotonic, open


def _shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    return InteractiveShell.instance(config=config)


def run_cells(shell, cells: list[tuple[int, str]], budget: float, alarm: Alarm) -> dict:
    """Run ``(index, source)`` cells in order within ``budget`` seconds; what ``done.json`` says."""
    deadline, failed, ran, timed_out = _monotonic() + budget, [], 0, False
    for index, source in cells:
        remaining = deadline - _monotonic()
        if remaining <= 0:
            timed_out = True
            break
        result = None
        try:
            with alarm.running(remaining):
                result = shell.run_cell(source)
        except OutOfTime:
            pass
        ran += 1
        if alarm.fired or result is None or not result.success:
            failed.append(index)
        if alarm.fired:
            timed_out = True
            break
    return {"cells": ran, "failed_cells": failed, "timed_out": timed_out}


def _note(out: Path, exercise_id: str, state: str, message: str) -> None:
    with _open(out / f"{exercise_id}.json", "w", encoding="utf-8") as f:
        f.write(json.dumps({"state": state, "message": message[:2000]}))


class Tools:
    """What the harvest uses, taken before any cell runs: patching the modules later is moot."""

    def __init__(self, exercise_ids: list[str]) -> None:
        import torch

        from qkv_lib.exercises import EXERCISES, Inputs, observe

        self.load, self.save = torch.load, torch.save
        self.inputs, self.observe = Inputs.from_payload, observe
        self.exercises = {i: EXERCISES[i] for i in exercise_ids}


def harvest(namespace: dict, tools: Tools, scratch: Path, alarm: Alarm) -> None:
    """Observe each exercise's function on the grader's inputs; one file per exercise in out/."""
    out = scratch / "out"
    for exercise_id, exercise in tools.exercises.items():
        answer = namespace.get(exercise_id)
        if not callable(answer):
            found = "nothing" if answer is None else f"a {type(answer).__name__}"
            why = f"no function named {exercise_id} in the notebook (found {found})"
            _note(out, exercise_id, "absent", why)
            continue
        try:
            given = scratch / "in" / f"{exercise_id}.pt"
            inputs = tools.inputs(tools.load(given, weights_only=True))
            probe_file = given.with_suffix(".probe.pt")
            probe = None
            if probe_file.exists():
                probe = tools.inputs(tools.load(probe_file, weights_only=True))
            with alarm.running(HARVEST_SECONDS):
                observation = tools.observe(exercise, answer, inputs, probe)
            tools.save(observation.to_payload(), out / f"{exercise_id}.pt")
        except OutOfTime:
            _note(out, exercise_id, "timeout", f"still running after {HARVEST_SECONDS:g} s")
        except BaseException as error:  # SystemExit from the answer, a full disk, ...
            _note(out, exercise_id, "error", f"{type(error).__name__}: {error}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="qkv_lib.instructor.grading.runner")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--budget", type=float, required=True, help="seconds for the cells")
    parser.add_argument("--exercises", default="", help="comma-separated exercise ids")
    parser.add_argument("--cpu-seconds", type=int, default=600, help="CPU time before the kill")
    args = parser.parse_args(argv)
    scratch = Path.cwd().resolve()
    limit(args.cpu_seconds)
    import nbformat

    tools = Tools([e for e in args.exercises.split(",") if e])
    nb = nbformat.read(args.notebook, as_version=4)
    cells = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    sys.stdout, sys.stderr = CappedWriter(sys.__stdout__), CappedWriter(sys.__stderr__)
    shell, alarm = _shell(), Alarm()
    report = run_cells(shell, cells, args.budget, alarm)
    harvest(shell.user_ns, tools, scratch, alarm)
    with _open(scratch / "out" / "done.json", "w", encoding="utf-8") as f:
        f.write(json.dumps(report))
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:  # the learner may have closed it
            pass
    # os._exit: the learner's atexit handlers and threads must not keep the child alive.
    os._exit(0)


if __name__ == "__main__":
    main()
