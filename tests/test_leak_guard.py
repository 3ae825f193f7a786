"""What counts as an answer in a chapter, and the leak guard that no student copy shows one.

The guard is shown to fail, naming the chapter, the cell and the place, on copies of chapter 4
with a solution line planted in every place a notebook can hold text, and not to fail on the
real chapters or on lines the chapter shows outside its solutions anyway.
"""

import base64
from pathlib import Path

import nbformat
import pytest

from qkv_lib.instructor import student
from qkv_lib.instructor.cli import main
from qkv_lib.instructor.errors import UsageError
from qkv_lib.instructor.leaks import LeakError, check_no_leaks, secret_lines
from qkv_lib.instructor.solutions import remove_solution_blocks, solution_blocks
from qkv_lib.instructor.student import student_copy

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
KEYS = sorted(CHAPTERS.glob("[0-9]*_*.ipynb"))
CH4 = CHAPTERS / "04_attention_flow.ipynb"


def read(path):
    return nbformat.read(path, as_version=4)


# The fences MyST accepts around a {solution}; each answer must go, the text around must stay.
FENCES = {
    "backticks": "```{solution} ex\n:class: dropdown\n\nANSWER\n```",
    "four backticks around code": "````{solution} ex\n```python\nANSWER\n```\n````",
    "colons": ":::{solution} ex\n:class: dropdown\nANSWER\n:::",
    "tildes": "~~~{solution} ex\nANSWER\n~~~",
    "yaml options": "```{solution} ex\n---\nclass: dropdown\n---\nANSWER\n```",
    "nested in an exercise": "````{exercise} E\nDo it.\n```{solution} ex\nANSWER\n```\nmore\n````",
    "in a list item": "1. Try it.\n\n   ```{solution} ex\n   ANSWER\n   ```",
    "unclosed": "```{solution} ex\nANSWER\n\nstill the answer: ANSWER",
}


@pytest.mark.parametrize("block", FENCES.values(), ids=FENCES.keys())
def test_every_fence_style_of_a_solution_block_is_removed(block):
    text = f"Before.\n\n{block}\n\nAfter."
    kept = remove_solution_blocks(text)
    assert "ANSWER" not in kept and "Before." in kept
    assert "still the answer" in block or kept.endswith("After.")
    assert "dropdown" not in kept and "{solution}" not in kept


def test_a_solution_shown_inside_a_literal_code_block_is_text():
    text = "````markdown\n```{solution} ex\nshown, not hidden\n```\n````\n"
    assert solution_blocks(text) == []
    assert remove_solution_blocks(text) == text
    assert solution_blocks("```{solutions}\nx\n```\n`````{solution}`````") == []


def tiny_key(*extra_cells):
    """Chapter 4 in miniature: a title, teaching code and the `scores` exercise."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 4. Tiny"),
        nbformat.v4.new_code_cell("d_k = Q.shape[-1]  # taught in the text"),
        nbformat.v4.new_markdown_cell(
            "```{solution} tiny\n:class: dropdown\n\nThe answer in words.\n```"
        ),
        nbformat.v4.new_code_cell(
            "def scores(Q, K):\n    # BEGIN SOLUTION\n    d_k = Q.shape[-1]\n"
            "    out = (Q @ K.mT\n    )\n    return out / math.sqrt(d_k)  # (..., T, S)\n"
            "    # END SOLUTION",
            metadata={"tags": ["qkv-exercise"], "qkv": {"exercise": "scores"}},
        ),
        *extra_cells,
    ]
    return nb


def test_the_secrets_leave_out_markup_options_and_lines_shown_elsewhere():
    assert secret_lines(tiny_key()) == [
        "The answer in words.",
        "out = (Q @ K.mT",
        "return out / math.sqrt(d_k) # (..., T, S)",
        "return out / math.sqrt(d_k)",
    ]
    copy_ = student_copy(tiny_key(), 4)
    copy_.cells[1].outputs = [nbformat.v4.new_output("stream", text=":class: dropdown\n)\n")]
    check_no_leaks(copy_, secret_lines(tiny_key()), "tiny.ipynb")  # nothing there is secret


def test_an_answer_only_cell_goes_and_run_state_is_cleared():
    answer = nbformat.v4.new_code_cell("print(scores(Q, K))", metadata={"tags": ["qkv-answer"]})
    key = tiny_key(answer)
    key.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    key.cells[1].execution_count = 7
    key.cells[1].outputs = [nbformat.v4.new_output("stream", text="8\n")]
    key.cells[1].attachments = {"x.txt": {"text/plain": "hi"}}
    key.cells[1].metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    made = student_copy(key, 4)
    assert [c.id for c in made.cells] == [c.id for c in key.cells[:2]] + [key.cells[3].id]
    teaching = made.cells[1]
    assert (teaching.outputs, teaching.execution_count) == ([], None)
    assert "attachments" not in teaching and "execution" not in teaching.metadata
    assert "widgets" not in made.metadata
    nbformat.validate(made)
    assert [c.id for c in key.cells][-1] == answer.id and key.cells[1].outputs  # key untouched


def chapter4_copy():
    key = read(CH4)
    return key, student_copy(key, 4)


SECRET = "return weights @ V  # (..., T, Dv)"  # a line of chapter 4's solutions


def plant(nb, where):
    """Put SECRET into ``nb`` at ``where``; return the index of the cell, or None."""
    code = next(i for i, c in enumerate(nb.cells) if c.source.startswith("qkv.check"))
    prose = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown")
    if where == "stream output":
        nb.cells[code].outputs = [nbformat.v4.new_output("stream", text=f"x\n{SECRET}\n")]
    elif where == "html output":
        html = "<pre>return weights &#64; V</pre>"
        nb.cells[code].outputs = [nbformat.v4.new_output("display_data", {"text/html": html})]
    elif where == "json output":
        data = {"application/json": {"notes": [SECRET]}}
        nb.cells[code].outputs = [nbformat.v4.new_output("execute_result", data, execution_count=1)]
    elif where == "traceback":
        error = nbformat.v4.new_output("error", ename="E", evalue="v", traceback=["  " + SECRET])
        nb.cells[code].outputs = [error]
    elif where == "cell metadata":
        nb.cells[code].metadata["note"] = {"reference": SECRET}
    elif where == "notebook metadata":
        nb.metadata["notes"] = [SECRET]
        return None
    elif where in ("attachment", "base64 attachment"):
        data = SECRET if where == "attachment" else base64.b64encode(SECRET.encode()).decode()
        kind = "text/plain" if where == "attachment" else "image/png"
        nb.cells[prose].attachments = {"a": {kind: data}}
        nb.cells[prose].source += "\n\n![a](attachment:a)"
        return prose
    elif where == "markdown source":
        nb.cells[prose].source += f"\n\n    {SECRET}"
        return prose
    elif where == "code, comment dropped and spaces changed":
        nb.cells[code].source += "\n# return   weights @ V"
    elif where == "untagged solution marker":
        nb.cells[code].source += "\n# BEGIN SOLUTION"
    return code


PLACES = {
    "stream output": "output",
    "html output": "output",
    "json output": "output",
    "traceback": "output",
    "cell metadata": "metadata",
    "notebook metadata": "notebook metadata",
    "attachment": "attachment",
    "base64 attachment": "attachment",
    "markdown source": "source",
    "code, comment dropped and spaces changed": "source",
    "untagged solution marker": "source",
}


@pytest.mark.parametrize("where,place", PLACES.items(), ids=PLACES.keys())
def test_the_guard_names_the_cell_and_place_of_a_planted_solution_line(where, place):
    key, doctored = chapter4_copy()
    check_no_leaks(doctored, secret_lines(key), CH4.name)  # clean before planting
    index = plant(doctored, where)
    with pytest.raises(LeakError) as caught:
        check_no_leaks(doctored, secret_lines(key), CH4.name)
    message = str(caught.value)
    assert message.startswith(f"{CH4.name}: ") and place in message
    if index is not None:
        assert f"{CH4.name}: cell {index} (id {doctored.cells[index].id}), {place}" in message
    assert "\n" not in message and isinstance(caught.value, UsageError)


@pytest.mark.parametrize("key_path", KEYS, ids=lambda p: p.stem)
def test_the_guard_does_not_cry_wolf_on_a_real_chapter(key_path):
    key = read(key_path)
    check_no_leaks(student_copy(key, int(key_path.name[:2])), secret_lines(key), key_path.name)


def test_a_leaking_copy_writes_nothing_and_the_cli_says_where(tmp_path, monkeypatch, capsys):
    real = student.student_copy

    def leaky(answer_key, chapter):
        made = real(answer_key, chapter)
        if chapter == 4:
            plant(made, "cell metadata")
        return made

    monkeypatch.setattr(student, "student_copy", leaky)
    out = tmp_path / "out"
    assert main(["student", str(out), "--source", str(CHAPTERS)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"qkv-course: error: {CH4.name}: cell ")
    assert ", metadata shows a line of a solution" in err and err.count("\n") == 1
    assert not out.exists()  # not even chapters 1 to 3
