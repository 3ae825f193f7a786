"""The ``qkv-course`` command: the exercise catalogue, student copies and grading.

    qkv-course exercises [--csv]
    qkv-course student OUT_DIR [--chapter N ...] [--source DIR] [--ref REF]
    qkv-course grade PATH ... --out grades.csv [--chapter N] [--timeout SECONDS] [--jobs N]
                     [--resume] [--feedback DIR]

``python -m qkv_lib`` runs the same command. A mistake in the arguments or the input files is
reported in one line on stderr with exit status 2, never with a traceback; Ctrl-C stops with
status 130 (a gradebook keeps every row finished so far).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .errors import UsageError

__all__ = ["build_parser", "main"]

PROG = "qkv-course"
#: The chapters of the repository this package was installed from (an editable install).
_REPOSITORY_CHAPTERS = Path(__file__).resolve().parents[2] / "chapters"


def _positive(kind: type) -> callable:
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: what is wrong, and where to read more."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="The QKV course's instructor kit: exercises, student copies, grading.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    exercises = commands.add_parser(
        "exercises",
        help="list every exercise: id, chapter, title, points, minutes, difficulty",
        description="List every exercise of the course with its chapter, points and time.",
    )
    exercises.add_argument("--csv", action="store_true", help="print CSV instead of a table")

    student = commands.add_parser(
        "student",
        help="write learners' copies of the chapters, solutions removed",
        description=(
            "Write a learner's copy of each chapter: solutions replaced by stubs, solution "
            "blocks removed, outputs cleared. Fails, naming the cell, if any line of a "
            "solution survives anywhere in a copy."
        ),
    )
    student.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="folder for the copies")
    student.add_argument(
        "--chapter",
        type=_positive(int),
        action="append",
        metavar="N",
        help="only chapter N (repeat for several; default: every chapter)",
    )
    student.add_argument(
        "--source",
        type=Path,
        metavar="DIR",
        help="the answer-key chapters (default: ./chapters, else the repository's chapters/)",
    )
    student.add_argument(
        "--ref",
        metavar="REF",
        help=(
            "the git branch, tag or commit Colab installs the course package from "
            "(default: repository.branch of _config.yml); CI passes the commit the book is "
            "built from, so that a copy installs exactly the package of its page"
        ),
    )

    grade = commands.add_parser(
        "grade",
        help="grade submitted notebooks into a CSV gradebook",
        description=(
            "Run each submitted notebook in a child process of its own and grade every "
            "exercise of its chapter from outside it. PATH is a notebook or a folder searched "
            "recursively; SUBMISSIONS/<student>/<file>.ipynb takes the student's name from "
            "the folder, otherwise from the file name."
        ),
    )
    grade.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="notebooks or folders")
    grade.add_argument("--out", type=Path, required=True, metavar="CSV", help="the gradebook")
    grade.add_argument(
        "--chapter", type=_positive(int), metavar="N", help="grade as chapter N (default: detect)"
    )
    grade.add_argument(
        "--timeout",
        type=_positive(float),
        default=120.0,
        metavar="SECONDS",
        help="time limit per submission (default: 120)",
    )
    grade.add_argument(
        "--jobs", type=_positive(int), default=1, metavar="N", help="submissions at once"
    )
    grade.add_argument(
        "--resume", action="store_true", help="grade only the files not yet in the gradebook"
    )
    grade.add_argument(
        "--feedback", type=Path, metavar="DIR", help="write one HTML page per submission here"
    )
    return parser


def _source(given: Path | None) -> Path:
    if given is not None:
        if not given.is_dir():
            raise UsageError(f"--source {given}: no such folder")
        return given
    for candidate in (Path.cwd() / "chapters", _REPOSITORY_CHAPTERS):
        if candidate.is_dir():
            return candidate
    raise UsageError("no chapters/ folder here: give the answer-key chapters with --source DIR")


def _run(args: argparse.Namespace) -> int:
    if args.command == "exercises":
        from .catalogue import catalogue_csv, catalogue_table

        sys.stdout.write(catalogue_csv() if args.csv else catalogue_table())
        return 0
    if args.command == "student":
        from .student import write_student_copies

        written = write_student_copies(
            args.out_dir, args.chapter, _source(args.source), ref=args.ref
        )
        for path in written:
            print(path)
        return 0
    from .grading import grade

    summary = grade(
        args.paths,
        args.out,
        chapter=args.chapter,
        timeout=args.timeout,
        jobs=args.jobs,
        resume=args.resume,
        feedback=args.feedback,
        progress=sys.stderr.isatty(),
    )
    print(summary)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``qkv-course`` with ``argv`` (default: the command line); return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
