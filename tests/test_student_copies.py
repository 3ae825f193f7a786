"""`qkv-course student`: learners' copies without a line of any solution, runnable top to bottom.

The solution lines are collected here independently of the package (a regex per kind of
answer) and the copies are searched as raw JSON strings. The leak guard and the fences of a
{solution} block have their own tests in test_leak_guard.py.
"""

import copy
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from qkv_lib.exercises import check
from qkv_lib.instructor.chapters import chapter_exercises
from qkv_lib.instructor.cli import main
from qkv_lib.instructor.student import student_copy, write_student_copies

REPO = Path(__file__).resolve().parents[1]
CHAPTERS = REPO / "chapters"
KEYS = sorted(CHAPTERS.glob("[0-9]*_*.ipynb"))
CH4 = CHAPTERS / "04_attention_flow.ipynb"
REGION = re.compile(r"^[ \t]*# BEGIN SOLUTION\n(.*?)^[ \t]*# END SOLUTION$", flags=re.M | re.S)
BLOCK = re.compile(r"^(`{3,}|:{3,}|~{3,})\{solution\}[^\n]*\n(.*?)^\1[ \t]*$", flags=re.M | re.S)


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def hidden_lines(key):
    """The answer key's solution lines that appear nowhere else in it, found by regex."""
    found, visible = [], []
    for cell in key.cells:
        pattern = REGION if cell.cell_type == "code" else BLOCK
        found += [
            line.strip()
            for m in pattern.finditer(cell.source)
            for line in m[m.lastindex].splitlines()
        ]
        visible.append(pattern.sub("", cell.source))
    outside = "\n".join(visible)
    return [
        line
        for line in found
        if re.search(r"\w", line) and not line.startswith(":class:") and line not in outside
    ]


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    out = tmp_path_factory.mktemp("copies")
    written = write_student_copies(out, None, CHAPTERS)
    return {path.name: path for path in written}


def read(path):
    return nbformat.read(path, as_version=4)


def test_one_copy_per_chapter_with_the_same_file_name(copies):
    assert sorted(copies) == [p.name for p in KEYS]
    assert len(copies) == 8


@pytest.mark.parametrize("key_path", KEYS, ids=lambda p: p.stem)
def test_the_copy_shows_no_solution(copies, key_path):
    path = copies[key_path.name]
    text = path.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert "{solution}" not in text
    everything = "\n".join(strings(json.loads(text)))
    secrets = hidden_lines(read(key_path))
    if chapter_exercises(int(key_path.name[:2])):
        assert secrets, "the regex found no solution line: this test would prove nothing"
    assert [line for line in secrets if line in everything] == []


@pytest.mark.parametrize("key_path", KEYS, ids=lambda p: p.stem)
def test_the_copy_is_clean_valid_and_knows_its_chapter(copies, key_path):
    nb = nbformat.read(copies[key_path.name], as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert nb.metadata["qkv"] == {"chapter": int(key_path.name[:2]), "student_copy": True}
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    kept = [c.id for c in read(key_path).cells if "qkv-answer" not in c.metadata.get("tags", [])]
    assert [c.id for c in nb.cells] == kept  # ids stable


@pytest.mark.parametrize("key_path", KEYS, ids=lambda p: p.stem)
def test_every_exercise_is_a_tagged_stub_that_checks_as_not_attempted(copies, key_path):
    nb = read(copies[key_path.name])
    cells = [c for c in nb.cells if "qkv-exercise" in c.metadata.get("tags", [])]
    ids = [c.metadata["qkv"]["exercise"] for c in cells]
    assert ids == chapter_exercises(int(key_path.name[:2]))
    for cell, exercise_id in zip(cells, ids, strict=True):
        assert "hide-cell" in cell.metadata["tags"]
        stub = f'    raise NotImplementedError("Exercise {exercise_id}: replace this line'
        assert stub in cell.source.splitlines()[-1]
        assert cell.source.startswith(f"def {exercise_id}(")
        namespace = {"math": math, "torch": torch}
        exec(cell.source, namespace)
        result = check(exercise_id, namespace[exercise_id])  # not strict: conftest
        assert (result.passed, result.code) == (False, "not-attempted")


@pytest.mark.parametrize("key_path", KEYS, ids=lambda p: p.stem)
def test_no_later_cell_calls_an_exercise_function(copies, key_path):
    """A copy runs top to bottom: only the check cell uses the stub (else tag it qkv-answer)."""
    cells = read(copies[key_path.name]).cells
    for i, cell in enumerate(cells):
        exercise_id = cell.metadata.get("qkv", {}).get("exercise")
        if exercise_id is None:
            continue
        call = re.compile(rf"(?<![\w.]){exercise_id}\s*\(")
        later = [c for c in cells[i + 1 :] if c.cell_type == "code"]
        assert later[0].source.strip() == f'qkv.check("{exercise_id}", {exercise_id})'
        assert [c.id for c in later if call.search(c.source)] == []


def test_the_solution_block_goes_and_the_exercise_block_stays(copies):
    cells = read(copies["01_qkv_as_retrieval.ipynb"]).cells
    prose = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert "```{exercise} Predict the blend" in prose
    assert "*Difficulty: easy. Time: 3 minutes.*\n```" in prose
    assert "The car and the tree get almost all" not in prose
    exercises = next(c for c in cells if c.source.startswith("## Exercises"))
    assert exercises.source.endswith("Time: 3 minutes.*\n```")  # no blank tail left behind


def test_the_cli_writes_only_the_chapter_asked_for(tmp_path, capsys):
    out = tmp_path / "copies"
    assert main(["student", str(out), "--chapter", "4", "--source", str(CHAPTERS)]) == 0
    assert [p.name for p in out.iterdir()] == [CH4.name]
    assert capsys.readouterr().out == f"{out / CH4.name}\n"


def test_an_unknown_chapter_exits_2_with_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "copies"
    proc = subprocess.run(
        [sys.executable, "-m", "qkv_lib", "student", str(out), "--chapter", "99"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("qkv-course: error: no chapter 99 in ")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "problem", ["no chapters", "out is the source", "gated solution", "unpaired marker", "not json"]
)
def test_bad_sources_are_usage_errors(tmp_path, capsys, problem):
    source = tmp_path / "source"
    source.mkdir()
    out = tmp_path / "out"
    if problem != "no chapters":
        shutil.copy(CH4, source)
    target = source / CH4.name
    if problem == "out is the source":
        out = source
    elif problem in ("gated solution", "unpaired marker"):
        nb = read(target)
        if problem == "gated solution":
            nb.cells.append(nbformat.v4.new_markdown_cell("```{solution-start} ex\n```"))
        else:
            cell = next(c for c in nb.cells if "# END SOLUTION" in c.source)
            cell.source = cell.source.replace("# END SOLUTION", "")
        nbformat.write(nb, target)
    elif problem == "not json":
        target.write_text("{", encoding="utf-8")
    before = target.read_bytes() if target.exists() else None
    assert main(["student", str(out), "--source", str(source)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qkv-course: error: ") and err.count("\n") == 1
    assert not (out / CH4.name).exists() or out == source
    if before is not None:
        assert target.read_bytes() == before  # the answer key is never overwritten


def test_copying_twice_gives_the_same_bytes(copies, tmp_path):
    again = write_student_copies(tmp_path, [4, 4], CHAPTERS)
    assert [p.name for p in again] == [CH4.name]
    assert again[0].read_bytes() == copies[CH4.name].read_bytes()
    assert not list(tmp_path.glob(".*partial"))


def test_the_copy_of_a_chapter_is_deterministic_and_leaves_the_key_alone():
    key = read(CH4)
    before = copy.deepcopy(key)
    assert student_copy(key, 4) == student_copy(key, 4)
    assert key == before
