"""Every page of the built book works in a real browser, opened from disk and over http.

Slow (marked `slow`, always run by `make test`). The book is the session's one build (the
`book` fixture in conftest.py). Every page of the toc, and the search page, is opened in
headless Chromium (Playwright driving the system browser) from `file://` and through a local
`python -m http.server`, and each test names the page and the control that failed:
- no console error and no uncaught error beyond the theme's two known messages, and no
  request leaving the site (a CDN script would fail for a class without internet);
- maths typeset by MathJax, every Mermaid diagram drawn, every image decoded;
- every explorer control moved through all its values changes the picture and its alt text,
  every quiz choice gives its feedback, every folded solution, hint or cell opens when clicked;
- the site search lists results;
- each page's own HTML is under 2 MB, and it is photographed at a desktop and a phone width
  into _build/screenshots/ for review;
- axe-core finds no serious or critical WCAG 2 A/AA violation (over http only: from `file://`
  its stylesheet requests are blocked by CORS). How many nodes it could not decide for colour
  contrast is printed at the end of the run, to be checked by eye.

One browser and one tab serve the whole module: each page is loaded once per origin and the
tests of that page run on it in file order (pytest groups them by the module-scoped `visit`).
"""

import hashlib
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import site_probes as probe
from book_build import REPO, built_html, toc_files
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.slow

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "_build" / "screenshots"
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
PAGE_BUDGET = 2_000_000  # bytes of one page's own HTML
THEMES = ("light", "dark")  # the theme's switch sets <html data-theme="...">
PAGES = [*toc_files(), "search"]
# The http visits come first so that HTTP_VISITS has the same indices, hence the same page
# loads, as the first half of VISITS: pytest groups tests by (fixture, parameter index).
VISITS = [("http", page) for page in PAGES] + [("file", page) for page in PAGES]
HTTP_VISITS = VISITS[: len(PAGES)]
SEARCHES = [(origin, query) for origin in ("http", "file") for query in ("query", "projection")]

# Printed on every Jupyter Book 1 page (docs/TOOLCHAIN.md): sphinx-thebe adds its script
# twice, and the theme resets the colour mode it finds unset on a first visit. Nothing else.
KNOWN_NOISE = re.compile(
    r"Identifier 'THEBE_JS_URL' has already been declared"
    r"|Got invalid theme mode: \S*\. Resetting to auto\."
)
# Chromium asks an http origin for /favicon.ico by itself when a page names no icon (the book
# names none); the 404 it logs is the browser's request, not the page's.
BROWSER_ICON = "/favicon.ico"
# Not a request that leaves the site: inline data (explorer frames) and in-page objects.
IN_PAGE_SCHEMES = ("data:", "blob:", "about:")
DIAGRAM_WAIT_MS = 15_000
# Sphinx's search fetches each result page for a summary line. From file:// the browser
# refuses (CORS) and logs it; the results are listed all the same, without summaries.
SUMMARY_FETCH_BLOCKED = re.compile(
    r"console error: Access to fetch at 'file://[^']*\.html' from origin 'null' has been "
    r"blocked by CORS policy: .*"
    r"|console error: Failed to load resource: net::ERR_FAILED \(file://[^)]*\.html\)"
    r"|uncaught .*TypeError: Failed to fetch"
)

# --- fixtures ------------------------------------------------------------------------------


class Recorder:
    """What a tab reports that is wrong: console errors, uncaught errors, requests off site."""

    def __init__(self, tab):
        self.site = ""
        self.problems: list[str] = []
        tab.on("console", self._console)
        tab.on("pageerror", self._page_error)
        tab.on("request", self._request)

    def start(self, site: str):
        """Forget earlier pages; from now on every request must start with `site`."""
        self.site, self.problems = site, []

    def _console(self, message):
        where = message.location.get("url", "")
        if urlsplit(where).path == BROWSER_ICON and where.startswith("http"):
            return
        if message.type == "error" and not KNOWN_NOISE.fullmatch(message.text):
            self.problems.append(f"console error: {message.text} ({where})")

    def _page_error(self, error):
        if not KNOWN_NOISE.fullmatch(error.message):
            self.problems.append(f"uncaught {error.name}: {error.message}")

    def _request(self, request):
        if not request.url.startswith((self.site, *IN_PAGE_SCHEMES)):
            self.problems.append(f"request leaving the site: {request.url}")


@dataclass
class Visit:
    tab: object
    recorder: Recorder
    name: str
    origin: str
    failures: list[str] = field(default_factory=list)
    reported: int = 0  # problems of the tab already reported by an earlier test

    def fail_if_any(self, what: str, shown: int = 12):
        """Fail naming the page, with `self.failures` and the problems the tab reported since
        the previous test of this page (the first test reports those of loading it)."""
        new = self.recorder.problems[self.reported :]
        self.reported += len(new)
        found = self.failures + [f"while {what}: {problem}" for problem in new]
        self.failures = []
        if len(found) > shown:
            found[shown:] = [f"... and {len(found) - shown} more"]
        assert not found, f"{self.origin}:{self.name}:\n  " + "\n  ".join(found)


@pytest.fixture(scope="module")
def html(book):
    return built_html(book)


@pytest.fixture(scope="module")
def server(html):
    """`python -m http.server` on a free loopback port serving the book; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    cmd = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--directory", str(html)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(base, timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"http.server did not start on port {port}")
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()  # by its PID
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def site_and_url(origin: str, name: str, html, server) -> tuple[str, str]:
    if origin == "http":
        return server, f"{server}{name}.html"
    return html.as_uri() + "/", (html / f"{name}.html").as_uri()


@pytest.fixture(scope="module")
def tab(browser):
    """The one tab (Playwright page) every visit of this module reuses."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    recorder = Recorder(page)
    yield page, recorder
    context.close()


@pytest.fixture(scope="module")
def visit(request, tab, html, server) -> Visit:
    """Load one page (request.param = (origin, page)) and wait for maths and diagrams."""
    origin, name = request.param
    page, recorder = tab
    site, url = site_and_url(origin, name, html, server)
    recorder.start(site)
    page.goto(url, wait_until="load")
    page.evaluate(probe.MATHJAX_DONE)
    try:
        page.wait_for_function(probe.DIAGRAMS_DRAWN, timeout=DIAGRAM_WAIT_MS)
    except PlaywrightError:
        pass  # test_diagrams_are_drawn names the diagrams left as text
    return Visit(page, recorder, name, origin)


def ids(params):
    return [f"{a}:{b}" for a, b in params]


visits = pytest.mark.parametrize("visit", VISITS, ids=ids(VISITS), indirect=True)


# --- every page, from disk and over http ---------------------------------------------------


@visits
def test_page_loads_cleanly(visit):
    """No unexpected console or uncaught error, and no request leaving the site."""
    visit.fail_if_any("loading")


@visits
def test_maths_is_typeset(visit):
    untypeset = visit.tab.evaluate(probe.UNTYPESET_MATHS)
    raw = visit.tab.evaluate(probe.RAW_TEX)
    visit.failures += [f"maths not typeset by MathJax: {text!r}" for text in untypeset]
    visit.failures += [f"raw TeX left in the text: {text!r}" for text in raw]
    has_maths = visit.tab.locator(".math").count() > 0
    if has_maths and visit.tab.locator("mjx-container").count() == 0:
        visit.failures.append("the page has maths but no MathJax output (mjx-container)")
    visit.fail_if_any("typesetting")


@visits
def test_diagrams_are_drawn(visit):
    undrawn = visit.tab.evaluate(probe.UNDRAWN_DIAGRAMS)
    visit.failures += [f"Mermaid did not draw {text}" for text in undrawn]
    visit.fail_if_any("drawing diagrams")


@visits
def test_images_load(visit):
    broken = visit.tab.evaluate(probe.BROKEN_IMAGES)
    visit.failures += [f"image not loaded: {text!r}" for text in broken]
    visit.fail_if_any("loading images")


def move_through(tab, explorer_id: str, control: dict) -> list:
    """Set `control` to each of its values in turn, as a reader would: keys on a slider, a
    choice in a list. Returns (position, (src, alt) or None if undecodable) per value."""
    element = tab.locator(f"[id='{control['id']}']")
    root = tab.locator(f"[id='{explorer_id}']").element_handle()
    states = []
    if control["kind"] == "range":
        element.focus()
        element.press("Home")
    for i in range(control["size"]):
        if control["kind"] == "select":
            element.select_option(index=i)
        elif i:
            element.press("ArrowRight")
        states.append(tuple(root.evaluate(probe.CONTROL_STATE, control["id"])))
    return states


def picture_failures(where: str, pictures: list) -> list[str]:
    failures, images, alts = [], {}, {}
    for i, (value, picture) in enumerate(pictures):
        if value != i:
            failures.append(f"{where}: step {i} left the control at {value}")
        if picture is None:
            failures.append(f"{where}: the frame for value {i} does not decode")
            continue
        src, alt = picture
        digest = hashlib.sha256(src.encode()).hexdigest()
        if digest in images:
            failures.append(f"{where}: values {images[digest]} and {i} show the same image")
        if alt in alts:
            failures.append(f"{where}: values {alts[alt]} and {i} have the same alt text")
        images.setdefault(digest, i)
        alts.setdefault(alt, i)
    return failures


@visits
def test_explorer_controls_change_the_picture(visit):
    """Every value of every control shows its own frame (whole `src`, hashed) and alt text."""
    for explorer in visit.tab.evaluate(probe.EXPLORERS):
        name = explorer["title"] or explorer["id"]
        if explorer["images"] != 1 or not explorer["controls"]:
            visit.failures.append(f"explorer {name!r}: expected one <img> and some controls")
            continue
        for control in explorer["controls"]:
            where = f"explorer {name!r}, control {control['label']!r}"
            pictures = move_through(visit.tab, explorer["id"], control)
            visit.failures += picture_failures(where, pictures)
    visit.fail_if_any("moving explorer controls")


@visits
def test_quiz_choices_give_feedback(visit):
    """Each option of each question shows its own feedback line when chosen."""
    for question in visit.tab.evaluate(probe.QUESTIONS):
        feedback = visit.tab.locator(f"[id='{question['id']}-feedback']")
        given = {}
        for option in question["options"]:
            visit.tab.locator(f"[id='{option['id']}']").check(force=True)  # see click()
            text = feedback.inner_text().strip()
            where = f"quiz {question['prompt']!r}, option {option['label']!r}"
            if not text:
                visit.failures.append(f"{where}: no feedback")
            elif text in given:
                visit.failures.append(f"{where}: same feedback as option {given[text]!r}")
            given.setdefault(text, option["label"])
    visit.fail_if_any("answering quizzes")


def click(visit, target, where: str) -> bool:
    """Click the middle of `target` with the mouse; False (and a failure noted) if it cannot be.

    `force` skips Playwright's wait for the element to be still and unobstructed (a third of
    the time here): the tests check what the click did, and a covered target would fail that.
    """
    try:
        target.click(timeout=5_000, force=True)
    except PlaywrightError as error:
        visit.failures.append(f"{where}: cannot be clicked ({error.message.splitlines()[0]})")
        return False
    return True


@visits
def test_folded_blocks_open_when_clicked(visit):
    """Solutions (sphinx-exercise dropdowns), hints, hidden cells and quiz answers unfold."""
    tab = visit.tab
    dropdowns = tab.locator("article .admonition.dropdown")
    for k in range(dropdowns.count()):
        block = dropdowns.nth(k)
        title = block.locator(":scope > .admonition-title")
        where = f"dropdown {title.inner_text().strip()[:60]!r}"
        if block.evaluate(probe.UNFOLDED):
            visit.failures.append(f"{where}: shown before it is clicked")
            continue
        # The chevron button sphinx-togglebutton adds (the middle of a solution's title is a
        # link to its exercise).
        click(visit, title.locator(".toggle-button"), where)
        if not block.evaluate(probe.UNFOLDED):
            visit.failures.append(f"{where}: still hidden after a click on its button")
    folds = tab.locator("article details")
    for k, fold in enumerate(tab.evaluate(probe.FOLDS)):
        if fold["open"]:
            continue  # not folded
        where = f"folded block {fold['summary']!r}"
        element = folds.nth(k)
        clicked = click(visit, element.locator(":scope > summary"), where)
        if clicked and not element.evaluate(probe.UNFOLDED):
            visit.failures.append(f"{where}: does not open when clicked")
    visit.fail_if_any("opening folded blocks")


@pytest.mark.parametrize("visit", HTTP_VISITS, ids=ids(HTTP_VISITS), indirect=True)
def test_page_weight_and_screenshots(visit, notes):
    """The page's own HTML stays under 2 MB (explorer frames included); screenshots for review.

    Each page is photographed at a desktop and a phone width into _build/screenshots/ (not
    committed); the transferred sizes are printed at the end of the run.
    """
    sizes = visit.tab.evaluate(probe.TRANSFERRED)
    notes.append(
        f"weight of {visit.name}: page {sizes['page'] / 1e6:.2f} MB, "
        f"{sizes['total'] / 1e6:.2f} MB with its scripts, styles and fonts"
    )
    if sizes["page"] > PAGE_BUDGET:
        visit.failures.append(f"the page is {sizes['page'] / 1e6:.2f} MB, over {PAGE_BUDGET:,} B")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    viewport = visit.tab.viewport_size
    try:
        for label, (width, height) in VIEWPORTS.items():
            visit.tab.set_viewport_size({"width": width, "height": height})
            visit.tab.evaluate(probe.TOP_OF_PAGE)
            name = visit.name.replace("/", "_")
            visit.tab.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"))
    finally:
        visit.tab.set_viewport_size(viewport)
    visit.fail_if_any("weighing the page")


@pytest.mark.parametrize("visit", HTTP_VISITS, ids=ids(HTTP_VISITS), indirect=True)
def test_no_serious_accessibility_violations(visit, notes):
    """axe-core, WCAG 2 A and AA rules, in the light and the dark theme, after the other tests
    opened every fold."""
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(REPO)} is missing: run `make assets` (npm ci)")
    visit.tab.add_script_tag(path=str(AXE))
    serious = []
    try:
        for theme in THEMES:
            visit.tab.evaluate(probe.SET_THEME, theme)
            visit.tab.evaluate(probe.ANIMATIONS_DONE)
            result = visit.tab.evaluate(probe.RUN_AXE)
            notes.append(
                f"axe on {visit.name}, {theme} theme: colour contrast undecided for "
                f"{result['contrast']} nodes ({result['contrastInDiagrams']} in Mermaid "
                f"diagrams); {len(result['violations'])} violations of any impact"
            )
            serious += [
                f"{theme} theme: axe {v['impact']} {v['id']}: {v['help']} at {v['targets']}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
    finally:
        visit.tab.evaluate(probe.SET_THEME, "light")
    # Console messages are not judged here: test_page_loads_cleanly and the others did that.
    assert not serious, f"{visit.origin}:{visit.name}:\n  " + "\n  ".join(serious)


# --- the site search -----------------------------------------------------------------------


@pytest.mark.parametrize(("origin", "query"), SEARCHES, ids=ids(SEARCHES))
def test_search_lists_results(browser, html, server, origin, query):
    context = browser.new_context()
    try:
        page = context.new_page()
        recorder = Recorder(page)
        site, url = site_and_url(origin, "search", html, server)
        recorder.start(site)
        page.goto(f"{url}?q={query}", wait_until="load")
        # The summary line stays empty until the search has finished.
        page.wait_for_function(probe.SEARCH_DONE)
        summary = page.locator("#search-results .search-summary").inner_text()
        results = page.locator("#search-results ul.search li a").count()
        assert results > 0, f"{origin}: no result for {query!r}: {summary}"
        problems = [
            problem
            for problem in recorder.problems
            if not (origin == "file" and SUMMARY_FETCH_BLOCKED.fullmatch(problem))
        ]
        assert not problems, f"{origin}: searching {query!r}: {problems}"
    finally:
        context.close()
