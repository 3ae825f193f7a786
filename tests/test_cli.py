"""The `qkv-course` command line: the exercise catalogue, every command's help, bad arguments.

`qkv-course student` has its own tests in test_student_copies.py. Run in-process through
`main(argv)`, which returns the exit status (argparse's own exits raise SystemExit).
"""

import csv
import io
from pathlib import Path

import pytest

from qkv_lib.exercises import EXERCISES
from qkv_lib.instructor.cli import main

HEADER = ["id", "chapter", "title", "points", "minutes", "difficulty"]


def run(capsys, *argv):
    """Exit status, stdout and stderr of `qkv-course argv...`."""
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def expected_row(exercise):
    return [
        exercise.id,
        str(exercise.chapter),
        exercise.title,
        str(exercise.points),
        str(exercise.minutes),
        exercise.difficulty,
    ]


def test_exercises_csv_has_the_header_and_one_row_per_exercise(capsys):
    status, out, err = run(capsys, "exercises", "--csv")
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == ",".join(HEADER)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == HEADER
    assert rows[1:] == [expected_row(e) for e in EXERCISES.values()]


def test_exercises_table_lists_every_exercise_and_the_totals(capsys):
    status, out, err = run(capsys, "exercises")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == HEADER
    assert set(lines[1]) <= {"-", " "} and lines[1].count("-") > len(HEADER)
    body = lines[2 : 2 + len(EXERCISES)]
    for line, exercise in zip(body, EXERCISES.values(), strict=True):
        assert line.split()[:2] == [exercise.id, str(exercise.chapter)]
        assert exercise.title in line and line.rstrip().endswith(exercise.difficulty)
    # the columns line up: every row starts its chapter where the header does
    column = lines[0].index("chapter")
    assert all(line[column - 2 : column] == "  " and line[column] != " " for line in body)
    points = sum(e.points for e in EXERCISES.values())
    minutes = sum(e.minutes for e in EXERCISES.values())
    assert lines[-1] == f"{len(EXERCISES)} exercises, {points} points, about {minutes} minutes"


@pytest.mark.parametrize("command", [[], ["exercises"], ["student"], ["grade"]])
def test_every_command_has_help(capsys, command):
    status, out, err = run(capsys, *command, "--help")
    assert (status, err) == (0, "")
    assert out.startswith(" ".join(["usage: qkv-course", *command]))


BAD = {
    "no command": [],
    "unknown command": ["bogus"],
    "unknown option": ["exercises", "--tsv"],
    "student without a folder": ["student"],
    "chapter zero": ["student", "out", "--chapter", "0"],
    "chapter not a number": ["student", "out", "--chapter", "four"],
    "grade without --out": ["grade", "submissions"],
    "negative timeout": ["grade", "s", "--out", "g.csv", "--timeout", "-1"],
    "zero jobs": ["grade", "s", "--out", "g.csv", "--jobs", "0"],
}


@pytest.mark.parametrize("argv", BAD.values(), ids=BAD.keys())
def test_bad_arguments_exit_2_with_one_error_line(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)  # nothing may be written, wherever it runs
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("qkv-course")  # one line, no usage dump
    assert "error:" in err and "--help)" in err
    assert list(tmp_path.iterdir()) == []


CHAPTERS = str(Path(__file__).resolve().parents[1] / "chapters")


@pytest.mark.parametrize(
    "argv,says",
    [
        (["student", "out", "--source", "no-such-folder"], "--source no-such-folder: no such"),
        (["student", "out", "--chapter", "99", "--source", CHAPTERS], "no chapter 99 in "),
    ],
    ids=["missing source", "unknown chapter"],
)
def test_a_bad_input_is_one_line_without_usage(capsys, tmp_path, monkeypatch, argv, says):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.startswith(f"qkv-course: error: {says}") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
