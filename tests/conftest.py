"""Fixtures shared by the test modules."""

import html
import json
import os
import re
import shutil
import subprocess

import matplotlib.pyplot as plt
import pytest
from book_build import REPO, build, require_vendor_assets
from filelock import FileLock
from hypothesis import settings

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: "ci", the default, runs a fixed number of
# examples per test, derandomized so that every run tests the same ones; "dev" searches ten
# times longer, at random, and keeps failures in .hypothesis/. A file with many tests may
# take a share of max_examples each (tests/test_checker_fuzz.py).
settings.register_profile(
    "ci", max_examples=50, derandomize=True, deadline=None, database=None, print_blob=True
)
settings.register_profile("dev", max_examples=500, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Headless Chromium as root on a machine with no GPU and no network beyond the package mirrors.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_NOTES = pytest.StashKey[list]()


def pytest_sessionfinish(session):
    """Under pytest-xdist a worker hands its notes to the controlling process."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["qkv_notes"] = session.config.stash.get(_NOTES, [])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controlling process gathers the notes of each worker as it finishes."""
    notes = getattr(node, "workeroutput", {}).get("qkv_notes", [])
    node.config.stash.setdefault(_NOTES, []).extend(notes)


def pytest_terminal_summary(terminalreporter, config):
    """Print what the tests noted for a reader to check by eye (see the `notes` fixture)."""
    lines = config.stash.get(_NOTES, [])
    if lines:
        terminalreporter.section("to check by eye")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def notes(pytestconfig) -> list:
    """Append a line here to print it at the end of the run; a note never fails a test."""
    return pytestconfig.stash.setdefault(_NOTES, [])


@pytest.fixture(scope="session")
def book(tmp_path_factory, worker_id):
    """The whole course, built once per test run into a fresh folder with `make book`'s flags.

    Returns (process, html dir, executed notebooks dir); `book_build.built_html` fails the test
    if the build failed. tests/test_book.py checks its HTML, tests/test_site.py its pages in
    Chromium. Under pytest-xdist the workers share one build: the first to ask builds it while
    holding a lock, the others wait and read its result (see pytest-xdist's "Making
    session-scoped fixtures execute only once").
    """
    require_vendor_assets()
    if worker_id == "master":  # not distributed
        out = tmp_path_factory.mktemp("book")
        return _paths(build(REPO, out), out)
    shared = tmp_path_factory.getbasetemp().parent  # the same folder for every worker
    out, record = shared / "book", shared / "book.json"
    with FileLock(str(shared / "book.lock")):
        if not record.is_file():
            proc = build(REPO, out)
            fields = {"args": proc.args, "returncode": proc.returncode}
            fields |= {"stdout": proc.stdout, "stderr": proc.stderr}
            record.write_text(json.dumps(fields), encoding="utf-8")
    return _paths(subprocess.CompletedProcess(**json.loads(record.read_text("utf-8"))), out)


def _paths(proc: subprocess.CompletedProcess, out):
    return proc, out / "_build" / "html", out / "_build" / "jupyter_execute"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium: required in CI, reported as a skip elsewhere."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs chromium for the browser checks (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium): browser check not run")
    return path


@pytest.fixture(autouse=True)
def _checks_report_rather_than_raise(monkeypatch):
    """Unit tests look at check results; `make test` sets QKV_CHECK_STRICT for the notebooks."""
    monkeypatch.delenv("QKV_CHECK_STRICT", raising=False)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every pyplot figure a test opened, so none leaks into the next."""
    yield
    plt.close("all")


@pytest.fixture
def browser_probe(chromium, tmp_path):
    """Load an HTML body in headless Chromium and return the JSON its probe script wrote.

    The body must contain ``<pre id="probe">`` and a script that writes a JSON object into it
    once the page has done what the test is looking at.
    """

    def probe(body: str) -> dict:
        page = tmp_path / "probe.html"
        page.write_text(f"<!doctype html><html><body>{body}</body></html>", encoding="utf-8")
        result = subprocess.run(
            [
                chromium,
                "--headless",
                *CHROMIUM_FLAGS,
                f"--user-data-dir={tmp_path / 'profile'}",
                "--virtual-time-budget=5000",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        match = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, flags=re.S)
        assert match, result.stderr[-2000:]
        return json.loads(html.unescape(match.group(1)))

    return probe


@pytest.fixture(scope="session")
def browser(chromium):
    """One headless Chromium for the session, driven by Playwright (tests/test_site.py).

    Playwright launches the system browser: `playwright install` would download its own
    build, which fails offline.
    """
    from playwright.sync_api import sync_playwright  # only the browser checks need it

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
        yield launched
        launched.close()
