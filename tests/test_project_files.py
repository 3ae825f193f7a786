"""The files that let others reuse, cite and contribute: licences, citation, version, hooks.

- `LICENSE` (MIT, the code) and `LICENSE-CONTENT` (CC BY 4.0, the text and figures) exist, and
  pyproject.toml, CITATION.cff, the README and the book's footer say the same.
- `CITATION.cff` is valid Citation File Format 1.2.0 (checked offline against its schema in
  tests/data) and carries the course's title and version.
- One version: pyproject.toml's, which `qkv_lib.__version__`, CITATION.cff and CHANGELOG.md
  repeat (the built footer is checked in tests/test_book.py).
- `.pre-commit-config.yaml` is valid, has local hooks only, and its hooks pass on a copy of
  the tree.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

import qkv_lib

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = (REPO / "pyproject.toml").read_text(encoding="utf-8")
VERSION = re.search(r'^version = "([^"]+)"$', PYPROJECT, flags=re.M).group(1)
CITATION = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
BIN = Path(sys.executable).parent


def test_the_code_is_mit_and_the_content_cc_by_4():
    code = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert code.startswith("MIT License\n") and "The QKV course authors" in code
    content = (REPO / "LICENSE-CONTENT").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0 International" in content
    assert "Section 1 – Definitions." in content, "the full legal code, not only a notice"
    assert re.search(r'^license = "MIT"', PYPROJECT, flags=re.M)
    assert 'license-files = ["LICENSE"]' in PYPROJECT
    assert CITATION["license"] == ["MIT", "CC-BY-4.0"]


def test_the_readme_states_both_licences_and_lists_the_vendored_ones():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Licences", 1)[1].split("\n## ", 1)[0]
    for needed in ("LICENSE-CONTENT", "CC BY 4.0", "`LICENSE`", "MIT"):
        assert needed in section, needed
    vendored = re.findall(r"`(book_assets/vendor/[\w/]+/LICENSE)`", section)
    assert sorted(vendored) == [
        "book_assets/vendor/mathjax/LICENSE",
        "book_assets/vendor/mermaid/LICENSE",
    ]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for path in vendored:  # `make assets` copies each licence next to its files
        assert f"$(VENDOR)/{path.split('/')[2]}/" in makefile and "LICENSE" in makefile


def test_the_citation_file_is_valid_cff_1_2_with_the_course_title_and_version():
    schema = json.loads((REPO / "tests" / "data" / "cff-schema-1.2.0.json").read_text("utf-8"))
    jsonschema.validate(CITATION, schema, format_checker=jsonschema.FormatChecker())
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    assert CITATION["title"] == config["title"]
    assert CITATION["version"] == VERSION
    assert CITATION["cff-version"] == "1.2.0"


@pytest.mark.parametrize(
    "broken",
    [
        {"authors": []},
        {"cff-version": "1.3.7"},
        {"date-released": "2 December 2026"},
        {"license": "Some licence"},
    ],
    ids=["no-author", "unknown-version", "bad-date", "unknown-licence"],
)
def test_the_schema_refuses_a_broken_citation(broken):
    schema = json.loads((REPO / "tests" / "data" / "cff-schema-1.2.0.json").read_text("utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {**CITATION, **broken}, schema, format_checker=jsonschema.FormatChecker()
        )


def test_one_version_everywhere():
    assert qkv_lib.__version__ == VERSION, (
        f"qkv_lib.__version__ is {qkv_lib.__version__}, pyproject.toml says {VERSION}: "
        "reinstall the package (`make venv`)"
    )
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(VERSION)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M)
    assert str(CITATION["date-released"]) in changelog


def _hooks() -> list[dict]:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return [hook | {"repo": repo["repo"]} for repo in config["repos"] for hook in repo["hooks"]]


def test_the_pre_commit_hooks_are_local_and_match_make_lint():
    hooks = _hooks()
    assert {h["repo"] for h in hooks} == {"local"} and {h["language"] for h in hooks} == {"system"}
    assert [h["id"] for h in hooks] == ["ruff-check", "ruff-format", "clean-notebooks", "toc"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "pre-commit run --all-files" in makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]


@pytest.mark.slow
def test_the_pre_commit_config_is_valid_and_its_hooks_pass_on_the_tree(tmp_path):
    """The hooks run on a copy of the tracked files: a fix they make changes nothing here."""
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }
    pre_commit = [str(BIN / "pre-commit")]
    valid = subprocess.run(
        [*pre_commit, "validate-config", ".pre-commit-config.yaml"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert valid.returncode == 0, valid.stdout + valid.stderr

    copy = tmp_path / "tree"
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.split("\0")  # fmt: skip
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    (copy / ".venv").symlink_to(REPO / ".venv")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "tree"]):
        subprocess.run([*git, *args], cwd=copy, env=env, check=True, capture_output=True)
    run = subprocess.run(
        [*pre_commit, "run", "--all-files", "--show-diff-on-failure"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for hook in _hooks():
        assert re.search(rf"^{re.escape(hook['name'])}\.+Passed$", run.stdout, re.M), run.stdout
