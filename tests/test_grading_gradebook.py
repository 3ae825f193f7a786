"""The gradebook on its own: its columns and rows, ``--resume``, a plain re-run, and the bad
input ``qkv-course grade`` refuses with one line and status 2. Nothing here runs a notebook:
the submissions are corrupt or of another chapter, which are never run."""

import csv
from pathlib import Path

import nbformat
import pytest
from grading_helpers import (
    BASE,
    CH4,
    MAX4,
    NO_EXERCISES,
    outcome,
    points,
    read_gradebook,
    write_notebook,
)

from qkv_lib.exercises import EXERCISES
from qkv_lib.instructor.cli import main
from qkv_lib.instructor.errors import UsageError
from qkv_lib.instructor.grading import grade
from qkv_lib.instructor.grading.gradebook import Gradebook, columns, row

CHAPTER_1 = Path(__file__).resolve().parents[1] / "chapters" / "01_qkv_as_retrieval.ipynb"


def test_a_row_has_the_points_and_codes_and_blanks_outside_its_chapter():
    ids = ["soft_lookup", *CH4]
    assert columns(ids)[:8] == [
        "student", "file", "chapter", "status", "score", "max_score",
        "soft_lookup", "soft_lookup_code",
    ]  # fmt: skip
    cells = row(outcome(), ids)
    assert (cells["score"], cells["max_score"], cells["attention_code"]) == (
        str(MAX4 - points("attention")),
        str(MAX4),
        "missing-scale",
    )
    assert (cells["soft_lookup"], cells["soft_lookup_code"], cells["attention"]) == ("", "", "0")


def test_resume_keeps_whole_rows_and_refuses_another_header(tmp_path):
    out, header = tmp_path / "grades.csv", columns(CH4)
    with Gradebook(out, header) as book:
        book.write(row(outcome("a/x.ipynb"), CH4))
        book.write(row(outcome("b/x.ipynb"), CH4))
    with out.open("a") as f:
        f.write("c,c/x.ipynb,4,ok,5")  # a row cut short by a kill
    with Gradebook(out, header, resume=True) as book:
        assert book.files == {"a/x.ipynb", "b/x.ipynb"} and book.kept == 2
        book.write(row(outcome("c/x.ipynb"), CH4))
    lines = list(csv.reader(out.open()))
    assert lines[0] == header and [line[1] for line in lines[1:]] == [
        "a/x.ipynb",
        "b/x.ipynb",
        "c/x.ipynb",
    ]
    with pytest.raises(UsageError, match="other columns"):
        Gradebook(out, columns(["soft_lookup"]), resume=True)
    with Gradebook(out, header) as book:  # a plain run starts afresh
        assert book.rows == []
    assert out.read_text().splitlines() == [",".join(header)]


def test_a_plain_rerun_starts_afresh_and_never_duplicates_a_row(tmp_path):
    quick = tmp_path / "quick"
    write_notebook(quick / "carol" / "ch1.ipynb", nbformat.read(CHAPTER_1, as_version=4))
    write_notebook(quick / "dan" / "ch4.ipynb", "not json")
    out = tmp_path / "grades.csv"
    out.write_text("some,other,gradebook\n1,2,3\n")
    for _ in range(2):
        grade([quick], out, chapter=4)  # neither is run: chapter 1's, and not a notebook
        header, rows = read_gradebook(out)
        assert header == BASE + [c for i in CH4 for c in (i, f"{i}_code")]
        assert [(r["student"], r["chapter"], r["status"], r["max_score"]) for r in rows] == [
            ("carol", "1", "wrong-chapter", str(MAX4)),
            ("dan", "", "corrupt", str(MAX4)),
        ]
        assert rows[0]["attention_code"] == "wrong-chapter" and rows[0]["attention"] == "0"


@pytest.mark.parametrize("case", ["missing", "empty", "other-header", "no-exercises", "out-dir"])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, case):
    (tmp_path / "empty").mkdir()
    write_notebook(tmp_path / "subs" / "dan" / "ch4.ipynb", "not json")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    args = {
        "missing": [str(tmp_path / "nowhere"), "--out", str(tmp_path / "g.csv")],
        "empty": [str(tmp_path / "empty"), "--out", str(tmp_path / "g.csv")],
        "other-header": [str(tmp_path / "subs"), "--out", str(tmp_path / "other.csv"), "--resume"],
        "no-exercises": [
            str(tmp_path / "subs"),
            "--out",
            str(tmp_path / "g.csv"),
            "--chapter",
            str(NO_EXERCISES),
        ],
        "out-dir": [str(tmp_path / "subs"), "--out", str(tmp_path / "empty")],
    }[case]
    assert main(["grade", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qkv-course: error: ") and err.count("\n") == 1, err
    assert (tmp_path / "other.csv").read_text() == "a,b\n1,2\n"  # never touched


@pytest.mark.parametrize("document", ["README.md", "instructors.md"])
def test_the_documented_gradebook_example_has_the_real_columns(document):
    """The worked example of the CSV in the README and the book is what the grader writes."""
    text = (Path(__file__).resolve().parents[1] / document).read_text(encoding="utf-8")
    example = text.split("```text\nstudent,", 1)[1].split("```", 1)[0]
    header, *rows = ("student," + example).strip().splitlines()
    chapter_4 = [e.id for e in EXERCISES.values() if e.chapter == 4]
    assert header.split(",") == columns(chapter_4)
    assert rows and all(len(r.split(",")) == len(columns(chapter_4)) for r in rows)
