"""Colab and the launch buttons: learners' copies install the course package from the repository
named once, in _config.yml.

- `qkv-course student` stamps `git+<repository.url>@<repository.branch>` (from the
  _config.yml beside the chapters) into each copy's Colab install cell.
- That cell, run by IPython with a fake `google.colab` module and with the address replaced by
  a copy of this checkout (pip offline: --no-deps --no-build-isolation --no-index --target),
  installs qkv_lib; a fresh interpreter then imports it from there. Without `google.colab`, or
  unstamped (the answer key), the cell runs no pip at all.
- The repository's address is written in _config.yml and nowhere else; the book's extension
  hands it to the pages as MyST substitutions.
- A probe book built with the real _config.yml shows the address, opens the learners' branch
  from its launch buttons at the book's own paths, and hides the install cell (slow).
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import nbformat
import pytest
import yaml
from sphinx.errors import ExtensionError

from qkv_lib.instructor.cli import main
from qkv_lib.instructor.errors import UsageError
from qkv_lib.instructor.student import (
    COLAB_TAG,
    UNSTAMPED,
    course_package,
    stamp_colab_cell,
    student_copy,
    write_student_copies,
)

REPO = Path(__file__).resolve().parents[1]
CHAPTERS = REPO / "chapters"
CONFIG = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
URL, BRANCH = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
PACKAGE = f"git+{URL}@{BRANCH}"
PIP_NOTE = "you may need to restart the kernel"  # what IPython's %pip prints after every run
RUN_CELL = """
import sys, types
from IPython.core.interactiveshell import InteractiveShell
if sys.argv[2] == "colab":
    sys.modules["google.colab"] = types.ModuleType("google.colab")
result = InteractiveShell.instance().run_cell(open(sys.argv[1], encoding="utf-8").read())
sys.exit(0 if result.success else 1)
"""


def install_cell(nb) -> nbformat.NotebookNode:
    (cell,) = [c for c in nb.cells if COLAB_TAG in c.metadata.get("tags", [])]
    return cell


def run_cell(source: str, tmp_path: Path, *, colab: bool) -> subprocess.CompletedProcess:
    """Run one cell's source in a fresh IPython shell (not a kernel), on Colab or not."""
    path = tmp_path / "cell.ipy"
    path.write_text(source, encoding="utf-8")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    cmd = [sys.executable, "-c", RUN_CELL, str(path), "colab" if colab else "local"]
    return subprocess.run(
        cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    out = tmp_path_factory.mktemp("copies")
    return {
        path.name: nbformat.read(path, as_version=4)
        for path in write_student_copies(out, None, CHAPTERS)
    }


@pytest.fixture
def package_source(tmp_path):
    """A copy of what the learners' branch carries for pip: pyproject.toml, README, qkv_lib/."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "qkv_lib", src / "qkv_lib", ignore=shutil.ignore_patterns("__pycache__"))
    return src


# --- stamping ------------------------------------------------------------------------------


def test_every_copy_is_stamped_with_the_address_from_the_config(copies):
    assert len(copies) == 8
    for name, nb in copies.items():
        key = install_cell(nbformat.read(CHAPTERS / name, as_version=4)).source
        stamped = install_cell(nb).source
        assert f'COURSE_PACKAGE = "{PACKAGE}"  #' in stamped, name
        assert stamped.replace(f'"{PACKAGE}"', '""', 1) == key, name  # nothing else changes


def test_without_a_config_the_copies_stay_unstamped(tmp_path):
    source = tmp_path / "course" / "chapters"
    source.mkdir(parents=True)
    shutil.copy(CHAPTERS / "04_attention_flow.ipynb", source)
    assert course_package(source) is None
    (written,) = write_student_copies(tmp_path / "out", None, source)
    lines = install_cell(nbformat.read(written, as_version=4)).source.splitlines()
    assert any(line.startswith(UNSTAMPED) for line in lines)


@pytest.mark.parametrize(
    ("repository", "complaint"),
    [
        ({"branch": "learners"}, "repository.url"),
        ({"url": "https://example.org/a b", "branch": "learners"}, "repository.url"),
        ({"url": 'https://example.org/a";rm', "branch": "x"}, "repository.url"),
        ({"url": "http://example.org/a/b", "branch": "x"}, "repository.url"),
        ({"url": "https://example.org/a/b"}, "repository.branch"),
        ({"url": "https://example.org/a/b", "branch": "x y"}, "repository.branch"),
        ({"url": "https://example.org/a/b", "branch": "-x"}, "repository.branch"),
    ],
)
def test_a_config_without_a_safe_address_is_a_usage_error(tmp_path, repository, complaint):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "_config.yml").write_text(yaml.safe_dump({"repository": repository}))
    with pytest.raises(UsageError, match=complaint):
        course_package(tmp_path / "chapters")


def test_the_config_beside_the_chapters_is_read(tmp_path):
    (tmp_path / "chapters").mkdir()
    config = {"repository": {"url": "https://example.org/me/fork/", "branch": "copies"}}
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    assert course_package(tmp_path / "chapters") == "git+https://example.org/me/fork@copies"
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert course_package(tmp_path / "chapters", sha) == f"git+https://example.org/me/fork@{sha}"
    for bad in ("a b", "-x", "x;rm", ""):
        with pytest.raises(UsageError, match="--ref"):
            course_package(tmp_path / "chapters", bad)


def test_ci_stamps_the_commit_the_pages_are_built_from(tmp_path):
    """`--ref` reaches every copy: CI passes $GITHUB_SHA, the commit of the book it deploys."""
    sha = "89abcdef0123456789abcdef0123456789abcdef"
    assert main(["student", str(tmp_path / "out"), "--chapter", "1", "--ref", sha]) == 0
    (copy_,) = (tmp_path / "out").glob("*.ipynb")
    sources = [c.source for c in nbformat.read(copy_, as_version=4).cells]
    assert any(f'COURSE_PACKAGE = "git+{URL}@{sha}"' in source for source in sources)
    workflow = (REPO / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8")
    assert 'qkv-course student "$tree/chapters" --ref "$GITHUB_SHA"' in workflow
    learners = workflow.split("\n  learners:", 1)[1].split("\n  book:", 1)[0]
    assert "needs: [test, book]" in learners, "the learners' branch waits for the pages"


def test_a_chapter_without_an_install_cell_cannot_be_stamped(tmp_path, capsys):
    key = nbformat.read(CHAPTERS / "04_attention_flow.ipynb", as_version=4)
    key.cells = [c for c in key.cells if COLAB_TAG not in c.metadata.get("tags", [])]
    copy_ = student_copy(key, 4)  # unstamped copies need no install cell
    with pytest.raises(ValueError, match=COLAB_TAG):
        stamp_colab_cell(copy_, PACKAGE)
    (tmp_path / "chapters").mkdir()
    shutil.copy(REPO / "_config.yml", tmp_path / "_config.yml")
    nbformat.write(key, tmp_path / "chapters" / "04_attention_flow.ipynb")
    assert main(["student", str(tmp_path / "out"), "--source", str(tmp_path / "chapters")]) == 2
    assert "no Colab install cell to stamp" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- running the cell ----------------------------------------------------------------------


def test_on_colab_the_stamped_cell_installs_the_course_package(copies, package_source, tmp_path):
    target = tmp_path / "site-packages"
    stamped = install_cell(copies["01_qkv_as_retrieval.ipynb"]).source
    offline = f"{package_source} --no-deps --no-build-isolation --no-index --target {target}"
    proc = run_cell(stamped.replace(PACKAGE, offline), tmp_path, colab=True)
    assert proc.returncode == 0 and PIP_NOTE in proc.stdout, proc.stdout + proc.stderr
    assert list(target.glob("qkv_lib-*.dist-info")), sorted(p.name for p in target.iterdir())

    probe = "import qkv_lib, qkv_lib.attention; print(qkv_lib.__file__)"
    env = {**os.environ, "PYTHONPATH": str(target)}
    imported = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert Path(imported.stdout.strip()).resolve() == (target / "qkv_lib" / "__init__.py")


def test_elsewhere_the_stamped_cell_runs_no_pip(copies, package_source, tmp_path):
    target = tmp_path / "site-packages"
    stamped = install_cell(copies["01_qkv_as_retrieval.ipynb"]).source
    offline = f"{package_source} --no-deps --no-build-isolation --no-index --target {target}"
    proc = run_cell(stamped.replace(PACKAGE, offline), tmp_path, colab=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert PIP_NOTE not in proc.stdout and not target.exists()


def test_the_unstamped_cell_of_the_answer_key_runs_no_pip_even_on_colab(tmp_path):
    key = install_cell(nbformat.read(CHAPTERS / "01_qkv_as_retrieval.ipynb", as_version=4))
    proc = run_cell(key.source, tmp_path, colab=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert PIP_NOTE not in proc.stdout


# --- one place for the address -------------------------------------------------------------


def repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    return [REPO / name for name in listed.split("\0") if name and (REPO / name).is_file()]


def test_the_repository_address_is_written_only_in_the_config():
    owner_and_name = urlsplit(URL).path.strip("/")
    assert owner_and_name.count("/") == 1
    files = repository_files()
    assert REPO / "_config.yml" in files and len(files) > 20
    found = [
        str(path.relative_to(REPO))
        for path in files
        if owner_and_name.encode() in path.read_bytes() and path.name != "_config.yml"
    ]
    assert found == [], f"{URL} is written outside _config.yml: use {{{{ repository_url }}}}"


def _extension():
    spec = importlib.util.spec_from_file_location(
        "qkv_book_ext", REPO / "book_assets" / "qkv_book_ext.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_book_extension_hands_the_address_to_the_pages():
    options = {"repository_url": URL, "repository_branch": BRANCH}
    config = SimpleNamespace(html_theme_options=options, myst_substitutions={"other": "kept"})
    _extension()._repository_substitutions(None, config)
    assert config.myst_substitutions == {
        "other": "kept",
        "repository_url": URL,
        "repository_link": f"[{URL}]({URL})",
        "learners_branch": BRANCH,
    }
    with pytest.raises(ExtensionError, match=r"repository\.url"):
        _extension()._repository_substitutions(
            None, SimpleNamespace(html_theme_options={}, myst_substitutions={})
        )


def test_the_launch_buttons_open_the_learners_branch_and_nothing_else_follows_it():
    assert BRANCH != "main", "the book is built from main; the buttons open the learners' copies"
    assert CONFIG["repository"]["path_to_book"] == ""  # copies sit at the book's own paths
    buttons = CONFIG["launch_buttons"]
    assert buttons["binderhub_url"] and buttons["colab_url"]
    # sphinx-book-theme points these at repository.branch too: into generated copies
    assert CONFIG["html"]["use_edit_page_button"] is False
    assert not CONFIG["html"].get("use_source_button", False)
    theme = CONFIG["sphinx"]["config"].get("html_theme_options", {})
    assert not {"use_edit_page_button", "use_source_button", "repository_branch"} & set(theme)


# --- slow: a probe book with the real configuration ----------------------------------------


@pytest.mark.slow
def test_a_probe_book_shows_the_address_and_opens_the_learners_copies(tmp_path):
    src = tmp_path / "src"
    (src / "chapters").mkdir(parents=True)
    shutil.copy(REPO / "_config.yml", src / "_config.yml")
    (src / "book_assets").symlink_to(REPO / "book_assets", target_is_directory=True)
    (src / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: chapters/01_probe\n", encoding="utf-8"
    )
    (src / "intro.md").write_text(
        "# Probe\n\nClone {{ repository_link }}; copies: {{ learners_branch }}.\n",
        encoding="utf-8",
    )
    key = nbformat.read(CHAPTERS / "01_qkv_as_retrieval.ipynb", as_version=4)
    nb = nbformat.v4.new_notebook(metadata=key.metadata)
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 1. Probe"),
        install_cell(key),
        nbformat.v4.new_code_cell('print("probe ran")'),
    ]
    nbformat.write(nb, src / "chapters" / "01_probe.ipynb")
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(src)]
    cmd += ["--path-output", str(tmp_path / "out"), "--builder", "html", "-W", "-n", "--keep-going"]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    html = tmp_path / "out" / "_build" / "html"

    intro = (html / "intro.html").read_text(encoding="utf-8")
    assert re.search(rf'Clone <a [^>]*href="{re.escape(URL)}"', intro), "no link to the repository"
    assert f"copies: {BRANCH}." in intro and "{{" not in intro

    page = (html / "chapters" / "01_probe.html").read_text(encoding="utf-8")
    owner_and_name = urlsplit(URL).path.strip("/")
    path = "chapters/01_probe.ipynb"
    binder = f"https://mybinder.org/v2/gh/{owner_and_name}/{BRANCH}?urlpath=lab/tree/{path}"
    colab = f"https://colab.research.google.com/github/{owner_and_name}/blob/{BRANCH}/{path}"
    assert binder in page and colab in page
    assert "probe ran" in page and "COURSE_PACKAGE" not in page  # the install cell is hidden
