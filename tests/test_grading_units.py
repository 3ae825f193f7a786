"""The grader's pieces in this process, without a child: finding and reading submissions,
judging recorded outputs, the child's output cap, alarms and harvest, the summary, the
progress line and the feedback pages. ``tests/test_grading.py`` runs the whole thing, and
``tests/test_grading_gradebook.py`` tests the CSV and the command's bad input."""

import json
import math
import time

import nbformat
import pytest
import torch
from grading_helpers import CH4, MAX4, NO_EXERCISES, codes, outcome, points

from qkv_lib.exercises import EXERCISES, Inputs, observe
from qkv_lib.instructor.errors import UsageError
from qkv_lib.instructor.grading import feedback, guards, judge, limits, runner
from qkv_lib.instructor.grading.gradebook import row
from qkv_lib.instructor.grading.outcome import ExerciseResult, Outcome
from qkv_lib.instructor.grading.submissions import find_notebooks, read_submission, submissions
from qkv_lib.instructor.grading.summary import Progress, Summary

#: The judge and harvest tests use four of chapter 4: enough for every way a record can end.
FOUR = ["scores", "attention_weights", "attention", "causal_mask"]


def _notebook(path, title="# 4. Attention", code="x = 1"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(title), nbformat.v4.new_code_cell(code)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# --- submissions ---------------------------------------------------------------------------


def test_students_come_from_the_first_folder_else_from_the_file_name(tmp_path):
    _notebook(tmp_path / "subs" / "alice" / "deep" / "ch4.ipynb")
    _notebook(tmp_path / "subs" / "bob.ipynb")
    _notebook(tmp_path / "subs" / "alice" / ".ipynb_checkpoints" / "ch4-checkpoint.ipynb")
    (tmp_path / "subs" / "notes.txt").write_text("not a notebook")
    single = _notebook(tmp_path / "zoe_ch4.ipynb")
    found = find_notebooks([tmp_path / "subs", single, tmp_path / "subs" / "bob.ipynb"])
    assert [(file, student) for _, file, student in found] == [  # sorted by file
        (single.as_posix(), "zoe_ch4"),  # "/tmp/..."
        ("alice/deep/ch4.ipynb", "alice"),
        ("bob.ipynb", "bob"),  # given twice: graded once
    ]


@pytest.mark.parametrize("case", ["missing", "empty", "collision"])
def test_bad_paths_are_usage_errors(tmp_path, case):
    paths = {"missing": [tmp_path / "nope"], "empty": [tmp_path]}.get(case)
    if case == "collision":
        paths = [_notebook(tmp_path / d / "x.ipynb").parent for d in ("a", "b")]
    with pytest.raises(
        UsageError, match={"missing": "no such", "empty": "no notebook"}.get(case, "both")
    ):
        find_notebooks(paths)


@pytest.mark.parametrize(
    "text, why",
    [
        ("", "not a notebook"),
        ("{", "not a notebook"),
        ("[]", "not a notebook"),
        ('{"cells": 5}', "not a notebook"),
    ],
)
def test_unreadable_notebooks_are_corrupt(tmp_path, text, why):
    path = tmp_path / "x.ipynb"
    path.write_text(text)
    sub = read_submission(path, "x.ipynb", "x", 4)
    assert (sub.status, sub.chapter) == ("corrupt", 4) and why in sub.detail  # as --chapter says
    assert read_submission(path, "x.ipynb", "x", None).chapter is None


def test_chapters_are_detected_and_checked(tmp_path):
    ch1 = _notebook(tmp_path / "a.ipynb", "# 1. Retrieval")
    none = _notebook(tmp_path / "b.ipynb", f"# {NO_EXERCISES}. No exercises here")
    untitled = _notebook(tmp_path / "c.ipynb", "Some notes")
    assert read_submission(ch1, "a", "a", None).chapter == 1
    assert read_submission(ch1, "a", "a", 4).status == "wrong-chapter"
    assert read_submission(none, "b", "b", None).status == "wrong-chapter"
    assert read_submission(untitled, "c", "c", None).status == "wrong-chapter"
    graded_as_4 = read_submission(untitled, "c", "c", 4)  # --chapter grades an untitled copy
    assert (graded_as_4.status, graded_as_4.chapter, graded_as_4.detected) == (None, 4, None)
    with pytest.raises(UsageError, match=f"--chapter {NO_EXERCISES}"):
        submissions([ch1], NO_EXERCISES)


# --- judging what the child recorded ---------------------------------------------------------


def _given(exercise_id):
    exercise = EXERCISES[exercise_id]
    return exercise.inputs(), exercise.probe() if exercise.probe else None


def _observe_into(out, exercise_id, answer):
    observation = observe(EXERCISES[exercise_id], answer, *_given(exercise_id))
    torch.save(observation.to_payload(), out / f"{exercise_id}.pt")


class Smuggled:
    """An object a payload must not carry: loading it would run code of the child's choosing."""

    def __reduce__(self):
        return (print, ("this must never run in the grader",))


def test_observations_are_judged_here_and_anything_else_earns_nothing(tmp_path, monkeypatch):
    def right(Q, K):
        return Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])

    def unscaled(Q, K, V):
        return torch.softmax(Q @ K.transpose(-2, -1), dim=-1) @ V

    _observe_into(tmp_path, "scores", right)
    _observe_into(tmp_path, "attention", unscaled)
    torch.save({"passed": True, "code": "pass"}, tmp_path / "attention_weights.pt")  # forged
    (tmp_path / "causal_mask.json").write_text(json.dumps({"state": "timeout", "message": ""}))
    given = {i: _given(i) for i in FOUR}
    results = judge.judge_outputs(tmp_path, given, "crashed", "gone")
    assert [(r.code, r.points) for r in results] == [
        ("pass", 1), ("unreadable-output", 0), ("missing-scale", 0), ("too-slow", 0),
    ]  # fmt: skip
    assert "10 s" in results[3].message

    torch.save({"x": Smuggled()}, tmp_path / "scores.pt")  # weights_only refuses to rebuild it
    monkeypatch.setattr(judge, "OBSERVATION_MAX", 10)
    _observe_into(tmp_path, "attention", unscaled)
    (tmp_path / "attention_weights.pt").unlink()
    (tmp_path / "causal_mask.json").write_text(json.dumps({"state": "absent", "message": "no f"}))
    results = judge.judge_outputs(tmp_path, given, "crashed", "gone")
    assert [(r.code, r.points) for r in results] == [
        ("unreadable-output", 0), ("crashed", 0), ("unreadable-output", 0), ("not-attempted", 0),
    ]  # fmt: skip


# --- the child's machinery, run here -----------------------------------------------------------


def test_the_capped_writer_keeps_the_start_and_drops_the_rest():
    class Sink:
        text = ""

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    sink = Sink()
    writer = guards.CappedWriter(sink, cap=10)
    for _ in range(5):
        assert writer.write("abcd") == 4
    assert sink.text == "abcdabcdab" and writer.written == 20


class _Shell:
    """Runs a cell with exec, as the IPython shell does, recording success."""

    def __init__(self):
        self.user_ns = {}

    def run_cell(self, source):
        class Result:
            success = True

        result = Result()
        try:
            exec(source, self.user_ns)
        except BaseException:  # IPython catches everything a cell raises
            result.success = False
        return result


SWALLOWS_THE_FIRST_ALARM = """
try:
    time.sleep(10)
except BaseException:
    pass
while True:
    try:
        pass
    except Exception:  # OutOfTime is a BaseException: this does not catch it
        pass
"""


def test_cells_run_on_after_errors_and_stop_at_the_budget_even_if_caught():
    cells = [
        (0, "a = 1"),
        (1, "1 / 0"),
        (2, SWALLOWS_THE_FIRST_ALARM),
        (3, "never = 1"),
    ]
    shell = _Shell()
    shell.user_ns["time"] = time
    started = time.monotonic()
    report = runner.run_cells(shell, cells, 0.3, guards.Alarm())
    # The alarm rings again every half second: a cell that swallows it once cannot hold on.
    assert time.monotonic() - started < 5
    assert report == {"cells": 3, "failed_cells": [1, 2], "timed_out": True}
    assert "never" not in shell.user_ns


def test_harvest_observes_each_function_and_notes_the_missing_and_the_endless(
    tmp_path, monkeypatch
):
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    for exercise_id in FOUR:
        torch.save(
            EXERCISES[exercise_id].inputs().to_payload(), tmp_path / "in" / f"{exercise_id}.pt"
        )

    def looping(T):
        while True:
            pass

    namespace = {
        "scores": lambda Q, K: Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1]),
        "attention_weights": torch.zeros(3),  # a tensor is not a function: absent
        "causal_mask": looping,
    }
    monkeypatch.setattr(runner, "HARVEST_SECONDS", 0.2)
    runner.harvest(namespace, runner.Tools(FOUR), tmp_path, guards.Alarm())
    notes = {p.stem: json.loads(p.read_text())["state"] for p in (tmp_path / "out").glob("*.json")}
    assert notes == {"attention_weights": "absent", "attention": "absent", "causal_mask": "timeout"}
    results = judge.judge_outputs(tmp_path / "out", {i: _given(i) for i in FOUR}, "crashed", "")
    assert [r.code for r in results] == ["pass", "not-attempted", "not-attempted", "too-slow"]
    assert "a Tensor" in results[1].message


def test_inputs_sent_to_the_child_come_back_equal():
    inputs = EXERCISES["attention"].inputs()
    back = Inputs.from_payload(inputs.to_payload())
    assert back.names == inputs.names and all(
        torch.equal(a, b) for a, b in zip(back.args, inputs.args, strict=True)
    )


# --- what the instructor and the learner read ----------------------------------------------------


def test_the_summary_counts_statuses_means_and_codes():
    rows = [row(outcome(f"s{i}/x.ipynb"), CH4) for i in range(3)]
    rows.append(row(outcome("t/x.ipynb", "timeout", codes(**dict.fromkeys(CH4, "timeout"))), CH4))
    text = str(Summary("grades.csv", rows, CH4, graded=4))
    assert "ok                 3" in text and "timeout            1" in text
    mean = MAX4 - points("attention")
    assert f"chapter 4: mean score {mean:.2f} / {MAX4} over 3 ok rows" in text
    assert (
        "attention          missing-scale (3)" in text and "scores             timeout (1)" in text
    )


def test_progress_redraws_one_line_only_when_enabled():
    class Stream:
        text = ""

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    stream = Stream()
    meter = Progress(2, True, stream)
    meter.step(row(outcome("alice/ch4.ipynb"), CH4))
    meter.finish()
    assert stream.text == f"\r[1/2] alice/ch4.ipynb ok {MAX4 - points('attention')}/{MAX4}\n"
    quiet = Stream()
    Progress(2, False, quiet).step(row(outcome(), CH4))
    assert quiet.text == ""


def test_feedback_pages_are_escaped_and_never_overwrite_each_other(tmp_path):
    nasty = "<script>alert(1)</script>"
    outcome = Outcome(
        nasty,
        f"{nasty}/ch4.ipynb",
        4,
        "ok",
        (ExerciseResult("scores", 0, 1, "error", nasty),),
        nasty,
    )
    pages = feedback.FeedbackPages(tmp_path)
    first, second = pages.write(outcome), pages.write(outcome)
    assert first != second and first.parent == second.parent == tmp_path
    text = first.read_text()
    assert "<script" not in text and text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
    assert "Scaled scores" in text and "0 / 1" in text


def test_the_limits_leave_the_child_time_to_harvest():
    assert limits.cell_budget(20) == 14 and limits.cell_budget(600) == 570
    assert limits.cell_budget(8) == 4  # never less than half the time limit
