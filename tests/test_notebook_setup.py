"""The chapters' set-up: qkv_lib.notebook.setup_notebook (seeding, print options, style, inline
figures) and the convention of the chapters' first two code cells, the Colab install cell
(hidden on the website) and the set-up cell. What the install cell does on Colab is tested in
test_colab_setup.py.
"""

from __future__ import annotations

import os
import queue
import re
from pathlib import Path
from types import SimpleNamespace

import IPython
import matplotlib as mpl
import nbformat
import pytest
import torch

from qkv_lib import plotting
from qkv_lib.instructor.student import COLAB_TAG, UNSTAMPED
from qkv_lib.notebook import setup_notebook

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "chapters").glob("[0-9]*_*.ipynb"))


@pytest.fixture(autouse=True)
def _restore_global_state():
    rc = mpl.rcParams.copy()
    yield
    mpl.rcParams.update(rc)
    torch.set_printoptions(profile="default")


class FakeShell:
    """Stands in for IPython's shell: records line magics. In a kernel, ``shell.kernel.shell``
    is the shell again, as in ipykernel; a terminal IPython has no kernel."""

    def __init__(self, in_kernel: bool = True) -> None:
        self.kernel = SimpleNamespace(shell=self) if in_kernel else None
        self.magics: list[tuple[str, str]] = []

    def run_line_magic(self, name: str, line: str) -> None:
        self.magics.append((name, line))
        mpl.rcParams["figure.dpi"] = 72  # what an old inline backend would impose


def _rc_snapshot() -> dict[str, object]:
    return {key: mpl.rcParams[key] for key in plotting.COURSE_STYLE}


def test_outside_ipython_seeds_sets_print_options_and_style():
    backend = mpl.get_backend()
    setup_notebook(seed=3)
    a = torch.rand(3)
    setup_notebook(seed=3)
    b = torch.rand(3)
    torch.testing.assert_close(a, b)
    assert str(torch.tensor([1 / 3, 1e-6])) == "tensor([0.3333, 0.0000])"  # 4 digits, no 1e-06
    assert _rc_snapshot() == plotting.COURSE_STYLE
    assert mpl.get_backend() == backend  # no backend switch outside IPython


def test_is_idempotent():
    setup_notebook()
    first = (mpl.rcParams.copy(), torch._tensor_str.PRINT_OPTS.__dict__.copy())
    setup_notebook()
    second = (mpl.rcParams.copy(), torch._tensor_str.PRINT_OPTS.__dict__.copy())
    assert dict(first[0]) == dict(second[0])
    assert first[1] == second[1]


def test_different_seeds_give_different_numbers():
    setup_notebook(seed=0)
    a = torch.rand(4)
    setup_notebook(seed=1)
    assert not torch.equal(a, torch.rand(4))


def test_in_a_kernel_switches_to_inline_then_applies_the_style(monkeypatch):
    shell = FakeShell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    setup_notebook()
    setup_notebook()
    assert shell.magics == [("matplotlib", "inline")] * 2
    assert mpl.rcParams["figure.dpi"] == plotting.COURSE_STYLE["figure.dpi"]  # style wins


def test_terminal_ipython_keeps_its_backend(monkeypatch):
    shell = FakeShell(in_kernel=False)
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    setup_notebook()
    assert shell.magics == []


def test_rejects_non_integer_seed():
    with pytest.raises(TypeError, match="seed"):
        setup_notebook(seed=1.5)


def test_real_kernel_with_agg_backend_shows_figures_inline():
    """The trap from TOOLCHAIN: MPLBACKEND=Agg makes plt.show() print nothing in a kernel."""
    manager_module = pytest.importorskip("jupyter_client.manager")
    km = manager_module.KernelManager(kernel_name="python3")
    km.start_kernel(env={**os.environ, "MPLBACKEND": "Agg"})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        code = (
            "import matplotlib, matplotlib.pyplot as plt\n"
            "import qkv_lib.notebook as nb\n"
            "print('before', matplotlib.get_backend())\n"
            "nb.setup_notebook(seed=0)\n"
            "nb.setup_notebook(seed=0)\n"
            "plt.plot([0, 1], [1, 0])\n"
            "plt.show()\n"
        )
        msg_id = kc.execute(code, allow_stdin=False)
        outputs = []
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=60)
            except queue.Empty:  # pragma: no cover - a hung kernel fails the test
                pytest.fail("kernel did not answer within 60 s")
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            outputs.append(msg)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    assert not errors, errors
    text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    assert "before agg" in text.lower()
    displays = [m["content"]["data"] for m in outputs if m["msg_type"] == "display_data"]
    images = [data for data in displays if "image/png" in data]
    assert len(images) == 1


# --- the chapters' first two code cells ----------------------------------------------------


def _first_code_cells(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    return nb, nb.cells[code[0]], nb.cells[code[1]], code[:2]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_colab_install_cell_comes_first_hidden_and_unstamped(path):
    nb, install, _, (first, second) = _first_code_cells(path)
    tags = install.metadata.get("tags", [])
    assert COLAB_TAG in tags and "remove-cell" in tags  # the website does not show it
    assert second == first + 1, "the set-up cell follows the install cell directly"
    assert [c.id for c in nb.cells if COLAB_TAG in c.metadata.get("tags", [])] == [install.id]
    lines = install.source.splitlines()
    assert [line for line in lines if line.startswith(UNSTAMPED)] == [lines[4]]
    assert lines[5:] == [
        'if COURSE_PACKAGE and "google.colab" in sys.modules:',
        "    %pip install --quiet {COURSE_PACKAGE}",
    ]
    assert "import sys" in lines
    assert "http" not in install.source  # the address is stamped from _config.yml


def test_every_chapter_has_the_same_install_cell():
    sources = {_first_code_cells(path)[1].source for path in CHAPTERS}
    assert len(CHAPTERS) == 8 and len(sources) == 1


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_set_up_cell_imports_the_package_and_sets_the_notebook_up(path):
    _, _, setup, _ = _first_code_cells(path)
    assert "import qkv_lib as qkv" in setup.source.splitlines()
    assert re.search(r"^qkv\.setup_notebook\(seed=\d+\)$", setup.source, flags=re.M)
    assert not {"remove-cell", "remove-input", COLAB_TAG} & set(setup.metadata.get("tags", []))
