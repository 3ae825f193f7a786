"""Tests for qkv_lib._frontend: the kernel probe, headless detection, mime bundle, JSON escaper."""

from __future__ import annotations

import html.parser
import json

import IPython
import pytest

from qkv_lib import _frontend, widgets

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

#: Everything that could end a <script> early or confuse an old JavaScript parser.
NASTY = {
    "end": "</script><script>alert(1)</script>",
    "comment": "<!-- <script> and --> ",
    "entities": "a & b &amp; c > d < e",
    "separators": "line\u2028paragraph\u2029end",
    "quotes": 'say "hi" \\ back\\slash </SCRIPT >',
    "nested": [{"<": ">"}, 1.5, None, True],
}


@pytest.fixture(autouse=True)
def _no_mode_override(monkeypatch):
    monkeypatch.delenv(_frontend.MODE_ENV, raising=False)


# --- json_for_script ----------------------------------------------------------------------


def test_json_for_script_round_trips_and_writes_no_unsafe_character():
    text = _frontend.json_for_script(NASTY)
    for unsafe in ("</", "<!", "\u2028", "\u2029"):
        assert unsafe not in text
    assert json.loads(text) == NASTY
    assert "\\u003c/script>" in text and "\\u003c!--" in text
    assert "a & b &amp; c > d < e" in text  # nothing else is escaped: frames stay small
    assert "\\u2028" in text and "\\u2029" in text
    assert _frontend.json_for_script({"a": [1, 2]}) == '{"a":[1,2]}'  # compact
    assert _frontend.json_for_script("é √") == '"é √"'  # other text stays readable


class ScriptBodies(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        if self._in_script:
            self.bodies.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.bodies[-1] += data


def test_json_for_script_survives_an_html_parser():
    page = f'<script type="application/json">{_frontend.json_for_script(NASTY)}</script><p>x</p>'
    parser = ScriptBodies()
    parser.feed(page)
    assert len(parser.bodies) == 1  # nothing in the data opened or closed a script
    assert json.loads(parser.bodies[0]) == NASTY


_PROBE = """<pre id="probe">pending</pre><script>
(function () {
  var text = document.getElementById("data").textContent;
  var out = {scripts: document.scripts.length, data: JSON.parse(text)};
  document.getElementById("probe").textContent = JSON.stringify(out);
})();
</script>"""


def test_json_for_script_in_a_real_browser(browser_probe):
    """Chromium's HTML parser and JSON.parse read back exactly the data that was written."""
    data = f'<script type="application/json" id="data">{_frontend.json_for_script(NASTY)}</script>'
    out = browser_probe(data + _PROBE)
    assert out["scripts"] == 2  # the data and the probe: no script was injected or cut short
    assert out["data"] == NASTY


# --- the kernel probe ---------------------------------------------------------------------


class FakeShell:
    def __init__(self, kernel: object | None = None) -> None:
        if kernel is not None:
            self.kernel = kernel


@pytest.mark.parametrize(
    ("shell", "expected"),
    [(None, None), (FakeShell(), None), (FakeShell(kernel="k"), "k")],
    ids=["plain-python", "terminal-ipython", "kernel"],
)
def test_kernel_is_the_shells_kernel_or_none(monkeypatch, shell, expected):
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    assert _frontend.kernel() == expected


class FakeKernel:
    def __init__(self, content=None, allow_stdin=False, broken=False):
        self._content, self._allow_stdin, self._broken = content, allow_stdin, broken

    def get_parent(self):
        if self._broken:
            raise RuntimeError("no parent")
        return {"content": self._content} if self._content is not None else {}


@pytest.mark.parametrize(
    ("kernel", "headless"),
    [
        (None, True),  # plain Python: no frontend can show a widget
        (FakeKernel({"code": "", "allow_stdin": False}), True),  # book build, nbval
        (FakeKernel({"code": "", "allow_stdin": True}), False),  # JupyterLab, Notebook 7
        (FakeKernel({"comm_id": "x"}, allow_stdin=True), False),  # widget callback: fallback
        (FakeKernel({"comm_id": "x"}, allow_stdin=False), True),
        (FakeKernel(broken=True, allow_stdin=True), False),
    ],
)
def test_running_headless(monkeypatch, kernel, headless):
    monkeypatch.setattr(_frontend, "kernel", lambda: kernel)
    assert _frontend.running_headless() is headless


def test_mode_environment_variable_overrides(monkeypatch):
    monkeypatch.setattr(_frontend, "kernel", lambda: FakeKernel({"allow_stdin": True}))
    monkeypatch.setenv(_frontend.MODE_ENV, "static")
    assert _frontend.running_headless() is True
    monkeypatch.setattr(_frontend, "kernel", lambda: None)
    monkeypatch.setenv(_frontend.MODE_ENV, " Live ")
    assert _frontend.running_headless() is False
    monkeypatch.setenv(_frontend.MODE_ENV, "auto")  # anything else: detect
    assert _frontend.running_headless() is True


def test_widgets_reexport_the_probe():
    assert widgets.running_headless is _frontend.running_headless
    assert widgets.MODE_ENV == _frontend.MODE_ENV == "QKV_EXPLORER_MODE"


# --- mime_bundle --------------------------------------------------------------------------


class FakeWidget:
    def __init__(self, view: dict | None) -> None:
        self.view = view

    def _repr_mimebundle_(self, **kwargs):
        bundle = {"text/plain": "FakeWidget()"}
        if self.view is not None:
            bundle[WIDGET_VIEW] = self.view
        return bundle


def test_mime_bundle_puts_the_widget_view_first_and_filters():
    live = FakeWidget({"model_id": "m1"})
    extra = {"text/html": "<p>twin</p>", "text/plain": "text"}
    bundle = _frontend.mime_bundle(live, extra)
    assert list(bundle) == [WIDGET_VIEW, "text/html", "text/plain"]
    assert bundle[WIDGET_VIEW] == {"model_id": "m1"}
    assert bundle["text/plain"] == "text"  # ours, not the widget's
    assert _frontend.mime_bundle(live, extra, include={"text/plain"}) == {"text/plain": "text"}
    assert list(_frontend.mime_bundle(live, extra, exclude={WIDGET_VIEW})) == list(extra)
    assert list(_frontend.mime_bundle(FakeWidget(None), extra)) == list(extra)


# --- layering -----------------------------------------------------------------------------
