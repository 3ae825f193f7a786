"""Fixtures shared by the test modules."""

import html
import json
import os
import re
import shutil
import subprocess

import matplotlib.pyplot as plt
import pytest


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
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
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
