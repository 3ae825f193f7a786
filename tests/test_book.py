"""The book builds strictly and works offline.

Slow tests (marked `slow`, always run by `make test`):
- the real book is built from scratch into a fresh temporary folder with the same command as
  `make book` (so a stale `_build/` can never make these tests pass; the `book` fixture in
  conftest.py builds it once per session, tests/test_site.py opens the same pages in Chromium),
  then its HTML is checked:
  every toc page exists, figures are not dropped, no empty widget placeholders, MathJax and
  Mermaid load from files the book itself serves, and pages also work opened from disk;
- two throw-away books prove the pipeline itself: a notebook that raises fails the build, and a
  probe notebook shows that figures, Mermaid in notebook Markdown and widget twins render.

Fast tests check that the toc, the config and the Makefile agree.
"""

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
import yaml
from book_build import (
    BOOK_FLAGS,
    REPO,
    build,
    built_html,
    log_tail,
    require_vendor_assets,
    toc_files,
)
from myst_nb.core.render import get_mime_priority

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_SCRIPT_TYPES = {WIDGET_MIME, "application/vnd.jupyter.widget-state+json"}
CDN_HOSTS = ("cdn", "jsdelivr", "unpkg", "googleapis")
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
HIDDEN_OUTPUT_TAGS = {"remove-output", "remove_output", "remove-cell", "remove_cell"}


# --- helpers -------------------------------------------------------------------------------


class _Tags(HTMLParser):
    """Collect <script> (with inline body), <link>, <img> and <pre> tags of one page."""

    def __init__(self):
        super().__init__()
        self.scripts, self.links, self.imgs, self.pres = [], [], [], []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._script = {"attrs": attrs, "body": ""}
            self.scripts.append(self._script)
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "img":
            self.imgs.append(attrs)
        elif tag == "pre":
            self.pres.append(attrs)

    def handle_data(self, data):
        if self._script is not None:
            self._script["body"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def parse(page: Path) -> _Tags:
    tags = _Tags()
    tags.feed(page.read_text(encoding="utf-8"))
    return tags


def widget_views(tags: _Tags) -> list:
    """myst-nb renders a widget view as <script type="application/vnd.jupyter.widget-...">."""
    return [s for s in tags.scripts if s["attrs"].get("type") in WIDGET_SCRIPT_TYPES]


def content_images(tags: _Tags) -> list:
    """<img> tags of the page content: figures and twins, not the theme's own logos."""
    return [img for img in tags.imgs if "_static/" not in img.get("src", "")]


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def local_target(page: Path, url: str) -> Path:
    return (page.parent / urlsplit(url).path).resolve()


# `import x from "..."`, `import "..."` or `import("...")` in a module script
MODULE_IMPORT = re.compile(r"^\s*import\b|\bimport\s*\(", re.MULTILINE)


def html_pages(html: Path):
    return [p for p in html.rglob("*.html") if "_static" not in p.parts]


def make_book(tmp: Path, notebook_cells, intro: str = "# Probe book\n") -> Path:
    """A two-page book (intro + one notebook) with the course's real _config.yml."""
    src = tmp / "src"
    (src / "chapters").mkdir(parents=True)
    shutil.copy(REPO / "_config.yml", src / "_config.yml")
    (src / "book_assets").symlink_to(REPO / "book_assets", target_is_directory=True)
    (src / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: Chapters\n"
        "    chapters:\n      - file: chapters/probe\n",
        encoding="utf-8",
    )
    (src / "intro.md").write_text(intro, encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    nb.cells = notebook_cells
    nbformat.write(nb, src / "chapters" / "probe.ipynb")
    return src


# --- fast checks: toc, config and Makefile agree -------------------------------------------


def test_toc_lists_every_chapter_notebook():
    listed = {f for f in toc_files() if f.startswith("chapters/")}
    present = {f"chapters/{p.stem}" for p in (REPO / "chapters").glob("*.ipynb")}
    assert listed == present, (
        f"_toc.yml and chapters/ disagree: not in the toc {sorted(present - listed)}, "
        f"in the toc but missing {sorted(listed - present)}"
    )


def test_config_is_offline():
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config["sphinx"]["config"]
    assert sphinx["nb_execution_raise_on_error"] is True
    assert config["execute"]["execute_notebooks"] in {"cache", "force"}
    assert sphinx["intersphinx_mapping"] == {}, "no intersphinx: the build must not fetch"
    assert sphinx["nb_ipywidgets_js"] == {}, "no CDN widget manager"
    assert is_local(sphinx["mathjax_path"]) and is_local(sphinx["mermaid_use_local"])
    assert "_static" not in sphinx["html_static_path"]
    assert not (REPO / "_static").exists(), (
        "a top-level _static/ folder makes Jupyter Book inject all its JS into every page"
    )
    overrides = sphinx["nb_mime_priority_overrides"]
    ranked = {builder for builder, mime, rank in overrides if mime == WIDGET_MIME and rank > 30}
    assert ranked >= {"html", "dirhtml", "singlehtml", "epub"}


def test_makefile_builds_with_the_same_flags():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert f"BOOK_FLAGS := {' '.join(BOOK_FLAGS)}\n" in makefile
    bench = (REPO / "benchmarks" / "run.py").read_text(encoding="utf-8")  # times the same build
    assert f"BOOK_FLAGS = {json.dumps(BOOK_FLAGS)}" in bench


# --- slow: the real book, built from scratch -----------------------------------------------


@pytest.mark.slow
def test_book_builds_without_errors_or_warnings(book):
    proc, html, _ = book
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{log_tail(proc)}"
    assert (html / "index.html").is_file()


@pytest.mark.slow
def test_every_toc_entry_has_a_page(book):
    html = built_html(book)
    missing = [f for f in toc_files() if not (html / f"{f}.html").is_file()]
    assert not missing, f"no page built for {missing}"


def expected_images(executed: Path) -> int:
    """How many <img> the page of an executed notebook must show.

    For each displayed output, pick the MIME type the HTML builder picks (myst-nb's priority
    with our overrides): an image counts once, and so does a text/html twin holding an <img>.
    """
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    overrides = config["sphinx"]["config"]["nb_mime_priority_overrides"]
    priority = get_mime_priority("html", [tuple(o) for o in overrides])
    nb = nbformat.read(executed, as_version=4)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or HIDDEN_OUTPUT_TAGS & set(cell.metadata.get("tags", [])):
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            chosen = next((mime for mime in priority if mime in data), None)
            if chosen in IMAGE_MIMES:
                count += 1
            elif chosen == "text/html" and "<img" in "".join(data["text/html"]):
                count += 1
    return count


@pytest.mark.slow
def test_figures_are_not_dropped(book):
    """Each chapter page shows at least as many images as its executed notebook produced."""
    html = built_html(book)
    executed_dir = book[2]
    for name in toc_files():
        executed = executed_dir / f"{name}.ipynb"
        if not executed.exists():
            continue  # a Markdown page
        n_expected = expected_images(executed)
        n_shown = len(content_images(parse(html / f"{name}.html")))
        assert n_shown >= n_expected, (
            f"{name}: the notebook displayed {n_expected} images but the page has {n_shown}"
        )


@pytest.mark.slow
def test_no_empty_widget_placeholders(book):
    html = built_html(book)
    bad = [str(page.relative_to(html)) for page in html_pages(html) if widget_views(parse(page))]
    assert not bad, f"widget views (empty offline) instead of their text/html twins on {bad}"


@pytest.mark.slow
def test_scripts_and_styles_are_served_by_the_book(book):
    html = built_html(book)
    for page in html_pages(html):
        tags = parse(page)
        urls = [s["attrs"]["src"] for s in tags.scripts if s["attrs"].get("src")]
        urls += [link["href"] for link in tags.links if link.get("rel") == "stylesheet"]
        for url in urls:
            where = f"{page.relative_to(html)}: {url}"
            assert not any(host in url for host in CDN_HOSTS), f"CDN asset {where}"
            assert is_local(url), f"remote asset {where}"
            assert local_target(page, url).is_file(), f"missing file {where}"


@pytest.mark.slow
def test_mathjax_is_local(book):
    html = built_html(book)
    page = html / "intro.html"  # the landing page has a displayed equation
    srcs = [s["attrs"].get("src", "") for s in parse(page).scripts]
    srcs = [src for src in srcs if "mathjax" in src]
    assert srcs, "no MathJax script on the landing page"
    for src in srcs:
        assert is_local(src) and local_target(page, src).is_file(), src
    fonts = html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert any(fonts.glob("*.woff")), "MathJax fonts not served"


@pytest.mark.slow
def test_mermaid_is_local_and_diagrams_are_present(book):
    html = built_html(book)
    page = html / "intro.html"  # the landing page has the course map
    tags = parse(page)
    assert any("mermaid" in pre.get("class", "").split() for pre in tags.pres), (
        "no <pre class=mermaid> on the landing page"
    )
    srcs = [s["attrs"]["src"] for s in tags.scripts if "mermaid" in s["attrs"].get("src", "")]
    assert srcs, "mermaid.js is not loaded by the landing page"
    for src in srcs:
        assert is_local(src) and local_target(page, src).is_file(), src
    modules = [s["body"] for s in tags.scripts if s["attrs"].get("type") == "module"]
    assert any("mermaid.initialize" in body for body in modules), "mermaid is never started"


@pytest.mark.slow
def test_pages_work_when_opened_from_disk(book):
    """Browsers refuse JS module imports from file:// URLs: no page may rely on one."""
    html = built_html(book)
    for page in html_pages(html):
        for script in parse(page).scripts:
            if script["attrs"].get("type") == "module":
                assert not MODULE_IMPORT.search(script["body"]), (
                    f"{page.relative_to(html)}: a module script imports another module"
                )


# --- slow: the pipeline itself, on throw-away books ----------------------------------------


@pytest.mark.slow
def test_a_raising_notebook_fails_the_build(tmp_path):
    require_vendor_assets()
    src = make_book(
        tmp_path,
        [
            nbformat.v4.new_markdown_cell("# Broken"),
            nbformat.v4.new_code_cell('raise RuntimeError("deliberately broken notebook")'),
        ],
    )
    proc = build(src, tmp_path / "out")
    assert proc.returncode != 0, f"a raising notebook built successfully:\n{log_tail(proc)}"
    assert "deliberately broken notebook" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_a_failing_check_fails_the_build(tmp_path):
    """In the book the chapters are the answer key: a check that does not pass is an error."""
    require_vendor_assets()
    src = make_book(
        tmp_path,
        [
            nbformat.v4.new_markdown_cell("# Wrong answer"),
            nbformat.v4.new_code_cell(
                "import torch\nimport qkv_lib as qkv\n"
                "qkv.check('causal_mask', lambda T: torch.ones(T, T, dtype=torch.bool).triu())"
            ),
        ],
    )
    proc = build(src, tmp_path / "out")
    assert proc.returncode != 0, f"a failing check built successfully:\n{log_tail(proc)}"
    assert "mask-inverted" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_probe_book_renders_figures_diagrams_and_widget_twins(tmp_path):
    """The same config and environment as the real book, on a tiny notebook with no torch."""
    require_vendor_assets()
    widget_bundle = {
        WIDGET_MIME: {"model_id": "0" * 32, "version_major": 2, "version_minor": 0},
        "text/html": '<p id="probe-twin"><img alt="frame" src="data:image/gif;base64,R0lGOD"></p>',
        "text/plain": "Probe()",
    }
    src = make_book(
        tmp_path,
        [
            nbformat.v4.new_markdown_cell(
                "# Probe\n\n$$a^2 + b^2 = c^2$$\n\n"
                "```{mermaid}\nflowchart LR\n  A --> B\n```\n\n"
                "```mermaid\nflowchart LR\n  C --> D\n```\n"
            ),
            # No `%matplotlib inline`: the kernel's default backend must draw into the page.
            nbformat.v4.new_code_cell(
                "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()"
            ),
            nbformat.v4.new_code_cell(
                "from IPython.display import display\n"
                f"display({json.dumps(widget_bundle)}, raw=True)",
                metadata={"tags": ["remove-input"]},
            ),
        ],
    )
    proc = build(src, tmp_path / "out")
    assert proc.returncode == 0, log_tail(proc)
    page = tmp_path / "out" / "_build" / "html" / "chapters" / "probe.html"
    text = page.read_text(encoding="utf-8")
    tags = parse(page)
    executed = tmp_path / "out" / "_build" / "jupyter_execute" / "chapters" / "probe.ipynb"
    assert expected_images(executed) == 2, "expected the figure and the twin's <img>"
    assert len(content_images(tags)) == 2, "the figure is missing (MPLBACKEND=Agg leaking in?)"
    assert 'id="probe-twin"' in text and not widget_views(tags), "widget twin not chosen"
    assert WIDGET_MIME not in text
    assert sum("mermaid" in pre.get("class", "").split() for pre in tags.pres) == 2
    assert any("mathjax" in s["attrs"].get("src", "") for s in tags.scripts)


@pytest.mark.slow
def test_every_page_shows_the_version_the_commit_and_both_licences(book):
    html = built_html(book)
    version = re.search(r'^version = "([^"]+)"$', (REPO / "pyproject.toml").read_text(), re.M)[1]
    footer = re.compile(
        rf'<p class="qkv-footer">Version {re.escape(version)}, built from commit '
        r'(?:<a href="[^"]+/commit/([0-9a-f]{12})">\1</a>|[0-9a-f]{12}\+|unknown)\. '
        r'Text and figures: <a href="[^"]+/LICENSE-CONTENT">CC BY 4\.0</a>; '
        r'code: <a href="[^"]+/LICENSE">MIT</a>\.</p>'
    )
    pages = [html / f"{page}.html" for page in toc_files()]
    for page in pages:
        assert footer.search(page.read_text(encoding="utf-8")), f"{page.name}: no footer"
    intro = (html / "intro.html").read_text(encoding="utf-8")
    assert f"This page is version {version} of the course" in intro
    assert "{{" not in intro, "a MyST substitution was left unreplaced"
