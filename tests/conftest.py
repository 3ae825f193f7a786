"""Fixtures shared by the test modules."""

import os
import shutil

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
