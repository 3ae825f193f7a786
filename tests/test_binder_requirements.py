"""binder/requirements.txt stays in step with the root requirements.txt.

Binder needs its own file only to take torch from PyTorch's CPU wheel index; every package
and every pinned version must otherwise be the same as in the root file.
"""

from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
ROOT_FILE = REPO / "requirements.txt"
BINDER_FILE = REPO / "binder" / "requirements.txt"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _lines(path):
    """Non-empty lines of a requirements file, comments removed."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _pins(path):
    """{canonical name: pinned Version} for every `name==version` line."""
    pins = {}
    for line in _lines(path):
        if line.startswith("-") or line in {".", "-e ."}:
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"{path.relative_to(REPO)}: {line!r} is not pinned with =="
        )
        name = canonicalize_name(req.name)
        assert name not in pins, f"{path.relative_to(REPO)}: {req.name} listed twice"
        pins[name] = Version(specs[0].version)
    return pins


def test_same_packages_and_versions():
    root, binder = _pins(ROOT_FILE), _pins(BINDER_FILE)
    assert sorted(binder) == sorted(root), (
        "packages differ: "
        f"only in requirements.txt {sorted(set(root) - set(binder))}, "
        f"only in binder/requirements.txt {sorted(set(binder) - set(root))}"
    )
    # Compare public versions: binder's torch carries the local tag `+cpu`.
    differ = {
        name: (str(root[name]), str(binder[name]))
        for name in root
        if root[name].public != binder[name].public
    }
    assert not differ, f"versions differ (root, binder): {differ}"
    locals_ = {name: str(v) for name, v in binder.items() if v.local and name != "torch"}
    assert not locals_, f"only torch may carry a local version tag in binder: {locals_}"


def test_binder_takes_torch_from_the_cpu_index():
    lines = _lines(BINDER_FILE)
    assert f"--extra-index-url {CPU_INDEX}" in lines or f"--index-url {CPU_INDEX}" in lines
    assert _pins(BINDER_FILE)["torch"].local == "cpu", "pin torch as ==X.Y.Z+cpu for Binder"


def test_binder_installs_the_course_package():
    assert {".", "-e ."} & set(_lines(BINDER_FILE)), "binder must install qkv_lib (`.`)"
