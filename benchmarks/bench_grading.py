"""Time ``qkv-course grade``: one chapter-4 notebook, and a class of 30 with --jobs 1 and 2.

Run: ``.venv/bin/python benchmarks/bench_grading.py`` (``--students N`` for another class
size, ``--jobs 1 2 4`` for other job counts). It builds the submissions in a temporary
folder from chapter 4 (the answer key, learners' copies, classic mistakes, a renamed
function, a syntax error, 30 MB of printed output, a corrupt file, chapter 1's notebook) and
grades each set in a fresh process of its own, which reports its wall time and its own peak
memory (``ru_maxrss``; the children that run the notebooks are separate processes, and the
largest of them is reported apart). Every submission runs the whole chapter, as a learner's
would; none loops, so no run waits for --timeout.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from qkv_lib.instructor.chapters import exercise_cells
from qkv_lib.instructor.student import student_copy

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
MISTAKES = {
    "scores": "return K @ Q.transpose(-2, -1) / math.sqrt(Q.shape[-1])",
    "attention_weights": "return torch.softmax(Q @ K.mT / math.sqrt(Q.shape[-1]), dim=-2)",
    "attention": "return torch.softmax(Q @ K.transpose(-2, -1), dim=-1) @ V",
    "causal_mask": "return torch.ones(T, T, dtype=torch.bool).triu()",
}


def _solve(nb, exercise_id: str, body: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for found in exercise_cells(nb):
        if found.exercise_id == exercise_id:
            lines = nb.cells[found.index].source.splitlines()
            new = [*lines[: found.begin + 1], "    " + body, *lines[found.end :]]
            nb.cells[found.index].source = "\n".join(new)
    return nb


def _variants(key: nbformat.NotebookNode) -> list[nbformat.NotebookNode | str]:
    """The kinds of submission a class hands in, cycled through to make the class."""
    renamed = copy.deepcopy(key)
    for cell in renamed.cells:
        cell.source = cell.source.replace("def attention(", "def my_attention(")
    noisy = copy.deepcopy(key)
    noisy.cells.append(nbformat.v4.new_code_cell("for _ in range(30):\n    print('x' * 10**6)"))
    return [
        key,
        student_copy(key, 4),
        *(_solve(key, i, body) for i, body in MISTAKES.items()),
        key,
        renamed,
        _solve(key, "attention", "return torch.softmax(Q @ K.mT, dim=-1"),  # a syntax error
        noisy,
        key,
        '{"cells": [',  # not a notebook
        nbformat.read(CHAPTERS / "01_qkv_as_retrieval.ipynb", as_version=4),
    ]


def build(folder: Path, students: int) -> Path:
    key = nbformat.read(CHAPTERS / "04_attention_flow.ipynb", as_version=4)
    variants = _variants(key)
    for n in range(students):
        nb = variants[n % len(variants)]
        path = folder / f"student{n:02d}" / "submission.ipynb"
        path.parent.mkdir(parents=True)
        if isinstance(nb, str):
            path.write_text(nb)
        else:
            nbformat.write(nb, path)
    return folder


def measure(folder: Path, jobs: int, out: Path) -> dict:
    """Grade ``folder`` in a fresh process; its wall time and peak memory."""
    code = (
        "import json, resource, sys, time\n"
        "start = time.perf_counter()\n"
        "from qkv_lib.instructor.grading import grade\n"
        "imported = time.perf_counter()\n"
        f"summary = grade([{str(folder)!r}], {str(out)!r}, jobs={jobs}, timeout=120)\n"
        "end = time.perf_counter()\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "statuses = sorted({r['status'] for r in summary.rows})\n"
        "print(json.dumps({'import': imported - start, 'grade': end - imported,"
        " 'rss_mb': rss / 1024, 'child_rss_mb': child / 1024, 'rows': len(summary.rows),"
        " 'statuses': statuses}))\n"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(
        f"{'run':<28}{'process':>9}{'grade()':>9}{'per nb':>8}{'grader RSS':>12}{'child RSS':>11}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        root = Path(tmp)
        one = build(root / "one", 1)
        many = build(root / "many", args.students)
        runs = [("1 chapter-4 notebook", one, 1, 1)]
        runs += [(f"{args.students} mixed, --jobs {j}", many, j, args.students) for j in args.jobs]
        for index, (name, folder, jobs, n) in enumerate(runs):
            r = measure(folder, jobs, root / f"grades{index}.csv")
            print(
                f"{name:<28}{r['process']:8.1f}s{r['grade']:8.1f}s{r['grade'] / n:7.2f}s"
                f"{r['rss_mb']:9.0f} MB{r['child_rss_mb']:8.0f} MB   {r['rows']} rows, "
                + " ".join(r["statuses"])
            )
    print(f"({os.cpu_count()} CPUs; per nb = grade() / notebooks; RSS = peak resident memory)")


if __name__ == "__main__":
    main()
