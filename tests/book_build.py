"""Building the book inside pytest: the gating command, its environment and the toc's pages.

Shared by the `book` fixture in conftest.py (the real course, built once per session and
checked by tests/test_book.py and tests/test_site.py) and by the throw-away probe books of
tests/test_book.py.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
VENDOR = REPO / "book_assets" / "vendor"
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
# The same flags as BOOK_FLAGS in the Makefile (test_makefile_builds_with_the_same_flags).
BOOK_FLAGS = ["--builder", "html", "-W", "-n", "--keep-going"]


def build_env():
    env = os.environ.copy()
    env.pop("MPLBACKEND", None)  # Agg would silently drop every figure from the book
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env["QKV_CHECK_STRICT"] = "1"  # the chapters are the answer key: every check must pass
    return env


def build(source: Path, output: Path) -> subprocess.CompletedProcess:
    """Run the gating build of `source` into `output/_build/html`."""
    cmd = [str(JUPYTER_BOOK), "build", str(source), "--path-output", str(output), *BOOK_FLAGS]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=1800, env=build_env(), check=False
    )


def log_tail(proc, n=60):
    return "\n".join((proc.stdout + proc.stderr).splitlines()[-n:])


def require_vendor_assets():
    missing = [
        p
        for p in ("mathjax/tex-mml-chtml.js", "mermaid/mermaid.min.js")
        if not (VENDOR / p).is_file()
    ]
    if missing:
        pytest.fail(f"missing {missing} in {VENDOR}: run `make assets` first")


def built_html(book) -> Path:
    """The html folder of the `book` fixture; fails the test if the build failed."""
    proc, html, _ = book
    if proc.returncode != 0:
        pytest.fail(f"book build failed (exit {proc.returncode}):\n{log_tail(proc)}")
    return html


def toc_files():
    """Every page of _toc.yml in reading order, as paths without suffix (`chapters/01_...`)."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part["chapters"]]
    return files
