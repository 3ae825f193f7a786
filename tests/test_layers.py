"""The package's layers hold: import contracts, a lean import of the maths, a lazy façade.

The contracts themselves live in pyproject.toml (``[tool.importlinter]``) and are drawn in the
README's package section; ``lint-imports`` checks them. Each test here runs in a fresh
interpreter, because this test process has long since imported matplotlib.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
UI_MODULES = ("matplotlib", "ipywidgets", "IPython")


def lint_imports(cwd: Path, *, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": str(LINT_IMPORTS.parent), "HOME": str(cwd)}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


LEAN = (
    "import qkv_lib",
    "import qkv_lib.attention",
    "import qkv_lib.modules",
    "import qkv_lib.exercises",
    "from qkv_lib.exercises import check",
    "import qkv_lib.examples",
    "import qkv_lib.training",
    "import qkv_lib._frontend",
)
UI_ON_FIRST_USE = ("import qkv_lib\nqkv_lib.plotting", "import qkv_lib\nqkv_lib.widgets")


@pytest.fixture(scope="module")
def ui_loaded() -> dict[str, set[str]]:
    """{statement: the UI packages a fresh interpreter has loaded after running it}.

    The interpreters start together, so the suite waits for one torch import, not ten.
    """
    report = "import sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    running = {
        statement: subprocess.Popen(
            [sys.executable, "-c", f"{statement}\n{report}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for statement in LEAN + UI_ON_FIRST_USE
    }
    loaded = {}
    for statement, process in running.items():
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, f"{statement!r} failed:\n{err[-2000:]}"
        loaded[statement] = set(out.split()) & set(UI_MODULES)
    return loaded


def test_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("attention.py", "from . import plotting", "Layers"),  # core reaching up to the UI
        ("exercises/__init__.py", "from .. import examples", "checkers use only the core"),
        ("masks.py", "import matplotlib", "never the UI"),
        ("heads.py", "from . import modules", "No import cycles"),  # modules imports heads
    ],
)
def test_a_crossed_layer_fails_the_check(tmp_path, module, line, broken):
    """The contracts are not vacuous: one bad import in a copy of the package breaks one."""
    shutil.copytree(ROOT / "qkv_lib", tmp_path / "qkv_lib", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "qkv_lib" / module
    source = target.read_text(encoding="utf-8")
    anchor = "from __future__ import annotations\n"
    assert anchor in source, f"{module} no longer starts with {anchor!r}: update this test"
    target.write_text(source.replace(anchor, f"{anchor}\n{line}\n", 1), encoding="utf-8")

    result = lint_imports(tmp_path, pythonpath=tmp_path)

    assert result.returncode != 0, result.stdout[-3000:]
    assert "BROKEN" in result.stdout and broken in result.stdout, result.stdout[-3000:]


@pytest.mark.parametrize("statement", LEAN)
def test_the_maths_imports_without_the_ui(statement, ui_loaded):
    assert ui_loaded[statement] == set()


def test_the_ui_loads_on_first_use(ui_loaded):
    plotting, widgets = (ui_loaded[statement] for statement in UI_ON_FIRST_USE)
    assert "matplotlib" in plotting and "ipywidgets" not in plotting
    assert {"matplotlib", "ipywidgets"} <= widgets


def test_the_facade_names_every_lazy_attribute():
    import qkv_lib

    for name in qkv_lib.__all__:
        assert getattr(qkv_lib, name) is not None, name
    assert set(qkv_lib.__all__) <= set(dir(qkv_lib))
    assert qkv_lib.check is qkv_lib.exercises.check
    assert qkv_lib.setup_notebook is qkv_lib.notebook.setup_notebook


def test_an_unknown_attribute_is_named():
    import qkv_lib

    with pytest.raises(AttributeError, match="'qkv_lib' has no attribute 'plot'"):
        qkv_lib.plot  # noqa: B018
