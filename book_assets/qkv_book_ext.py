"""Sphinx extension for the QKV course book: make the offline assets dependable.

1. Fail the build early when `make assets` has not filled book_assets/vendor/ (otherwise the book
   builds fine and the reader sees raw TeX and raw Mermaid code).
2. Load Mermaid as a classic script. sphinxcontrib-mermaid 2.1.1 emits
   `import mermaid from "<url>"` in an inline module; browsers refuse to import modules from
   file:// URLs, so diagrams would stay raw text when the book is opened from disk. We serve
   mermaid's self-contained `mermaid.min.js` (it sets `globalThis.mermaid`) and rewrite the
   import into `const mermaid = globalThis.mermaid;`. Inline modules without imports run from
   file:// as well as over http.
3. Drop the saved ipywidgets state that myst-nb embeds in pages of notebooks that made widgets.
   The book loads no widget manager (`nb_ipywidgets_js: {}`), so the state is dead weight: the
   explorers show their kernel-free text/html twins instead.
4. Give the pages the course's repository from `_config.yml`, the only file that names it
   (`repository.url`, `repository.branch`), as MyST substitutions: `{{ repository_url }}`,
   `{{ repository_link }}` (the same as a link) and `{{ learners_branch }}` (the branch of
   learners' copies that the launch buttons open; the book itself is built from main).
5. Put in every page's footer the course's version (the one in pyproject.toml, as installed),
   the commit the book was built from and both licences; `{{ version }}` and `{{ commit }}`
   are MyST substitutions too (the landing page's "How to cite").
"""

import html
import re
import subprocess
from importlib.metadata import version
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

ROOT = Path(__file__).resolve().parents[1]
VENDOR = Path(__file__).resolve().parent / "vendor"
REQUIRED = ("mathjax/tex-mml-chtml.js", "mermaid/mermaid.min.js")
MERMAID_CLASSIC = "mermaid/mermaid.min.js"  # relative to html_static_path
_IMPORT = re.compile(r"import\s+mermaid\s+from\s+\"[^\"]*\";")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _check_vendor(app: Sphinx) -> None:
    missing = [name for name in REQUIRED if not (VENDOR / name).is_file()]
    if missing:
        raise ExtensionError(f"missing {missing} under {VENDOR}: run `make assets` first")


def _repository_substitutions(app: Sphinx, config: Config) -> None:
    options = config.html_theme_options
    url, branch = options.get("repository_url"), options.get("repository_branch")
    if not url or not branch:
        raise ExtensionError("_config.yml: set repository.url and repository.branch")
    config.myst_substitutions = {
        **config.myst_substitutions,
        "repository_url": url,
        "repository_link": f"[{url}]({url})",
        "learners_branch": branch,
    }


def built_from() -> str:
    """The commit the book is built from (12 hex digits, ``+`` if the tree has local changes)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD")
    if not commit:
        return "unknown"
    return commit + ("+" if git("status", "--porcelain", "--untracked-files=no") else "")


def _footer(app: Sphinx, config: Config) -> None:
    url = config.html_theme_options["repository_url"].rstrip("/")
    course, commit = version("qkv-lib"), built_from()
    config.myst_substitutions = {**config.myst_substitutions, "version": course, "commit": commit}
    link = commit
    if re.fullmatch(r"[0-9a-f]{12}", commit):
        link = f'<a href="{html.escape(url)}/commit/{commit}">{commit}</a>'
    licences = (
        f'Text and figures: <a href="{html.escape(url)}/blob/main/LICENSE-CONTENT">CC BY 4.0</a>;'
        f' code: <a href="{html.escape(url)}/blob/main/LICENSE">MIT</a>.'
    )
    config.html_theme_options["extra_footer"] = (
        f'<p class="qkv-footer">Version {html.escape(course)}, built from commit {link}. '
        f"{licences}</p>"
    )


def _classic_mermaid(app: Sphinx, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files", [])
    bodies = [(js, getattr(js, "attributes", {}).get("body") or "") for js in scripts]
    modules = [js for js, body in bodies if _IMPORT.search(body)]
    if not modules:
        return
    priority = app.config.mermaid_js_priority
    app.add_js_file(MERMAID_CLASSIC, priority=priority - 1)
    for js in modules:
        scripts.remove(js)
        body = _IMPORT.sub("const mermaid = globalThis.mermaid;", js.attributes["body"], count=1)
        app.add_js_file(None, body=body, priority=priority, type="module")


def _drop_widget_state(app: Sphinx, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files", [])
    for js in [js for js in scripts if getattr(js, "attributes", {}).get("type") == WIDGET_STATE]:
        scripts.remove(js)


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinxcontrib.mermaid")
    app.connect("config-inited", _repository_substitutions)
    app.connect("config-inited", _footer, priority=600)  # after the repository's check
    app.connect("builder-inited", _check_vendor)
    # after sphinxcontrib.mermaid's own handler (default priority 500) has added its script
    app.connect("html-page-context", _classic_mermaid, priority=900)
    app.connect("html-page-context", _drop_widget_state, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
