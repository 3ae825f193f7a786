"""Tests for the explorer machinery: control specs, the Explorer, its live widget and its twin.

The contract every chapter's explorer keeps is in test_explorer_contract.py; the frontend
probe and the mime bundle are in test_frontend.py.
"""

from __future__ import annotations

import base64
import html.parser
import json
import os
import queue
import re

import ipywidgets
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from qkv_lib import widgets
from qkv_lib.widgets import Dropdown, Explorer, Slider
from qkv_lib.widgets import frames as _frames
from qkv_lib.widgets import twin as _twin

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _draw_line(slope: int = 1, colour: str = "C0") -> Figure:
    fig = Figure(figsize=(2, 2))
    ax = fig.subplots()
    ax.plot([0, 1], [0, slope], color=colour)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return fig


def tiny_explorer(**kwargs) -> Explorer:
    controls = [
        Slider("slope", "slope", (0, 1, 2), default=1),
        Dropdown("colour", "colour", ("C0", "C1")),
    ]
    return Explorer(_draw_line, controls, title="tiny", alt="a line", **kwargs)


class TwinParser(html.parser.HTMLParser):
    """Collects the tags, ids and script bodies of an HTML twin."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)

    def handle_data(self, data):
        if self._script is not None:
            self.scripts.append((self._script, data))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    @property
    def ids(self) -> list[str]:
        return [a["id"] for _, a in self.tags if a.get("id")]

    def data(self) -> dict:
        (body,) = [text for attrs, text in self.scripts if attrs.get("type") == "application/json"]
        return json.loads(body)


def parse(page: str) -> TwinParser:
    parser = TwinParser()
    parser.feed(page)
    return parser


@pytest.fixture(autouse=True)
def _no_mode_override(monkeypatch):
    monkeypatch.delenv(widgets.MODE_ENV, raising=False)
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return widgets.query_explorer()


@pytest.fixture(scope="module")
def twin(explorer) -> str:
    return explorer.to_html()  # renders all 96 frames once for the module


# --- control specs ------------------------------------------------------------------------


def test_slider_and_dropdown_specs():
    slider = Slider("angle", "query angle", range(0, 360, 90), default=90, fmt="{}°")
    assert slider.values == (0, 90, 180, 270)
    assert slider.default == 90 and slider.text(180) == "180°"
    dropdown = Dropdown("t", "temperature", [0.5, 1.0], fmt=lambda v: f"T={v}")
    assert dropdown.options == (0.5, 1.0) and dropdown.default == 0.5
    assert dropdown.text(1.0) == "T=1.0"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Slider("a", "a", (1, 2), default=3), ["default 3", "(1, 2)"]),
        (lambda: Slider("a", "a", ()), ["'a'", "at least one"]),
        (lambda: Dropdown("not valid", "a", (1,)), ["identifier"]),
        (lambda: Dropdown("a", "a", (1, 1)), ["repeated"]),
    ],
)
def test_control_specs_reject_bad_input(make, words):
    with pytest.raises(ValueError) as excinfo:
        make()
    for word in words:
        assert word in str(excinfo.value)


# --- Explorer -----------------------------------------------------------------------------


def test_explorer_grid_defaults_and_render():
    e = tiny_explorer()
    assert e.n_frames == 6
    grid = list(e.grid())
    assert len(grid) == 6 and grid[0] == {"slope": 0, "colour": "C0"}
    assert grid[1] == {"slope": 0, "colour": "C1"}  # the last control varies fastest
    assert e.defaults == {"slope": 1, "colour": "C0"}
    frames = list(e.frames())
    assert len(frames) == 6 and all(isinstance(fig, Figure) for _, fig in frames)


def test_explorer_rejects_bad_specs_and_values():
    with pytest.raises(ValueError, match="max_frames"):
        Explorer(_draw_line, [Slider("slope", "s", range(20)), Dropdown("colour", "c", "ABCDEFG")])
    with pytest.raises(ValueError, match="unique"):
        Explorer(_draw_line, [Slider("slope", "s", (1,)), Slider("slope", "t", (2,))])
    with pytest.raises(TypeError, match="draw"):
        Explorer("not callable", [])
    with pytest.raises(TypeError, match="Slider or Dropdown"):
        Explorer(_draw_line, [("slope", (1, 2))])
    with pytest.raises(ValueError, match='fmt must be "svg" or "png"'):
        tiny_explorer(fmt="jpg")
    e = tiny_explorer()
    with pytest.raises(ValueError, match=r"slope=5 is not on the explorer's grid"):
        e.render(slope=5)
    with pytest.raises(TypeError, match="unknown control"):
        e.render(angle=1)
    with pytest.raises(TypeError, match="must return a matplotlib Figure"):
        Explorer(lambda x: "a picture", [Slider("x", "x", (1,))]).render()
    with pytest.raises(ValueError, match="pyplot"):
        Explorer(lambda x: plt.figure(), [Slider("x", "x", (1,))]).render()
    assert plt.get_fignums() == []  # and the leaked figure was closed


def test_query_explorer_grid(explorer):
    assert explorer.names == ("angle", "temperature")
    angle, temperature = explorer.controls
    assert isinstance(angle, Slider) and len(angle.values) == 24
    assert isinstance(temperature, Dropdown) and len(temperature.options) == 4
    assert explorer.n_frames == 96 == len(list(explorer.grid()))
    assert explorer.defaults == {"angle": 45, "temperature": 1.0}


def test_query_explorer_alt_text_describes_the_frame(explorer):
    text = explorer.alt_text(angle=15, temperature=0.25)
    assert "15 degrees" in text and "temperature 0.25" in text
    assert re.search(r"cat 1\.00", text)  # a query along the cat key at low temperature


def test_query_explorer_frame_is_compact_svg(explorer):
    svg = explorer.frame().decode()
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<?xml" not in svg and "<metadata>" not in svg
    assert len(svg) < 25_000
    assert explorer.image_format == "svg+xml"


def test_compact_svg_keeps_the_picture_readable():
    svg = (
        '<?xml version="1.0"?>\n<!-- made by matplotlib -->\n<svg><defs><style>*{}</style>'
        '</defs>\n  <g id="a1"><path d="M 1.234567 2.5 \nL 3 4" /><text style="font-size: '
        '9px; font-family: \'DejaVu Sans\', sans-serif; text-anchor: middle" x="1.23456" '
        'transform="rotate(-0 1.23456 2)">3.14159</text></g></svg>'
    )
    out = _frames.compact_svg(svg)
    assert out.startswith("<svg>") and "<!--" not in out and 'id="a1"' not in out
    assert 'd="M 1.23 2.5 L 3 4"' in out and 'x="1.23"' in out
    assert ">3.14159</text>" in out  # text content is never rounded
    assert "rotate" not in out
    assert "text{font-family:'DejaVu Sans', sans-serif}" in out


# --- mime bundle --------------------------------------------------------------------------


def test_mimebundle_headless(monkeypatch, explorer, twin):
    monkeypatch.setenv(widgets.MODE_ENV, "static")
    bundle = explorer._repr_mimebundle_()
    assert set(bundle) == {WIDGET_VIEW, "text/html", "image/png", "text/plain"}
    assert bundle[WIDGET_VIEW]["model_id"]
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["text/plain"] == explorer._repr_mimebundle_()["text/plain"]  # stable
    assert "0x" not in bundle["text/plain"] and "96 frames" in bundle["text/plain"]
    assert len(parse(bundle["text/html"]).data()["frames"]) == 96
    assert len(bundle["text/html"].encode()) < 2_000_000


def test_mimebundle_live(monkeypatch):
    monkeypatch.setenv(widgets.MODE_ENV, "live")
    e = tiny_explorer()
    bundle = e._repr_mimebundle_()
    assert set(bundle) == {WIDGET_VIEW, "image/png", "text/plain"}
    rendered = e._cache.rendered()
    assert {tuple(values.values()) for _, values in rendered} == {(1, "C0")}  # no twin built
    assert sorted(fmt for fmt, _ in rendered) == ["png", "svg"]  # the widget's and the PNG
    assert e._repr_mimebundle_()[WIDGET_VIEW] == bundle[WIDGET_VIEW]  # one shared widget
    assert set(e._repr_mimebundle_(include={"text/plain"})) == {"text/plain"}
    assert "text/plain" not in e._repr_mimebundle_(exclude={"text/plain"})


# --- the HTML twin ------------------------------------------------------------------------


def test_twin_image_controls_and_frames(explorer, twin):
    page = parse(twin)
    (img,) = page.find("img")
    assert img["alt"] and "45 degrees" in img["alt"]
    assert img["src"].startswith("data:image/svg+xml;base64,")
    (slider,) = page.find("input", type="range")
    assert (slider["min"], slider["max"], slider["value"]) == ("0", "23", "3")  # 45° = 3rd step
    (select,) = page.find("select")
    assert len(page.find("option")) == 4
    assert page.find("option", selected=None)[0] is not None  # the default option is marked
    for control in (slider, select):
        assert page.find("label", **{"for": control["id"]})  # every control has a <label>
    data = page.data()
    assert len(data["frames"]) == len(data["alts"]) == explorer.n_frames == 96
    assert data["strides"] == [4, 1]
    default = data["strides"][0] * 3 + 2  # angle index 3, temperature index 2 (1.0)
    assert base64.b64decode(img["src"].split(",", 1)[1]).decode() == data["frames"][default]
    assert data["frames"][default].encode() == explorer.frame()
    assert "</script" not in twin.split('type="application/json"', 1)[1].split("</script>")[0]


def test_twin_ids_are_unique_within_and_across_explorers(twin):
    ids = parse(twin).ids
    assert len(ids) == len(set(ids)) >= 4
    tiny = tiny_explorer()
    other, again = parse(tiny.to_html()).ids, parse(tiny.to_html()).ids
    assert not set(ids) & set(other)
    assert not set(other) & set(again)  # the same explorer shown twice on one page


def test_twin_png_frames_are_base64():
    e = tiny_explorer(fmt="png")
    data = parse(e.to_html()).data()
    assert data["base64"] is True and data["mime"] == "image/png"
    assert base64.b64decode(data["frames"][0]).startswith(b"\x89PNG")
    assert e.png() is e.frame()  # a PNG explorer's fallback image is its own frame, made once


def test_twin_checks_the_frame_count():
    control = _twin.TwinControl("a", "a", "range", ("1", "2"), 0)
    with pytest.raises(ValueError, match="one entry per grid point"):
        _twin.twin_html(
            uid="x", controls=[control], frames=["<svg/>"], alts=["a"], mime="image/svg+xml",
            base64=False,
        )  # fmt: skip


_PROBE = """<pre id="probe">pending</pre><script>
(function () {
  var root = document.querySelector(".qkv-explorer");
  var data = JSON.parse(document.getElementById(root.id + "-data").textContent);
  var img = document.getElementById(root.id + "-img");
  var range = root.querySelector("input[type=range]"), select = root.querySelector("select");
  var out = {initial: root.getAttribute("data-frame"), initialAlt: img.alt};
  range.value = "5";
  range.dispatchEvent(new Event("input", {bubbles: true}));
  select.value = "0";
  select.dispatchEvent(new Event("input", {bubbles: true}));
  out.frame = root.getAttribute("data-frame");
  out.alt = img.alt;
  out.readout = document.getElementById(range.id + "-out").textContent;
  out.srcIsFrame = decodeURIComponent(img.src.slice(img.src.indexOf(",") + 1))
    === data.frames[Number(out.frame)];
  img.onload = function () {
    out.width = img.naturalWidth;
    document.getElementById("probe").textContent = JSON.stringify(out);
  };
})();
</script>"""


def test_twin_in_a_real_browser(browser_probe, twin):
    """Moving the controls in Chromium swaps in the right frame, alt text and readout."""
    out = browser_probe(f"{twin}{_PROBE}")
    assert out["initial"] == str(3 * 4 + 2)
    assert out["frame"] == str(5 * 4 + 0)  # angle 75° (index 5), temperature 0.25 (index 0)
    assert out["readout"] == "75°"
    assert "75 degrees" in out["alt"] and "temperature 0.25" in out["alt"]
    assert out["srcIsFrame"] is True
    assert out["width"] > 100  # the SVG frame decoded and laid out


# --- live widget --------------------------------------------------------------------------


def test_live_widget_controls_drive_the_image():
    e = tiny_explorer()
    w = e.widget()
    assert isinstance(w, ipywidgets.VBox)
    assert set(w.controls) == {"slope", "colour"}
    slider, dropdown = w.controls["slope"], w.controls["colour"]
    assert isinstance(slider, ipywidgets.SelectionSlider)
    assert isinstance(dropdown, ipywidgets.Dropdown)
    assert [value for _, value in slider.options] == [0, 1, 2]  # exactly the grid
    assert w.image.format == "svg+xml"
    assert w.image.value == e.frame()
    before = w.image.value
    slider.value = 2
    assert w.image.value != before
    assert w.image.value == e.frame(slope=2)
    dropdown.value = "C1"
    assert w.image.value == e.frame(slope=2, colour="C1")
    assert w.current_values() == {"slope": 2, "colour": "C1"}


def test_live_query_explorer_slider_changes_the_image(explorer):
    w = explorer.widget()
    before = w.image.value
    w.controls["angle"].value = 180
    assert w.image.value != before and w.image.value == explorer.frame(angle=180)
    w.controls["temperature"].value = 0.25
    assert w.image.value == explorer.frame(angle=180, temperature=0.25)


# --- in a real kernel ---------------------------------------------------------------------

_KERNEL_CODE = """
from matplotlib.figure import Figure
from qkv_lib.widgets import Dropdown, Explorer, Slider

def draw(n=1, c="C0"):
    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, n], color=c)
    return fig

Explorer(draw, [Slider("n", "n", (1, 2)), Dropdown("c", "c", ("C0", "C1"))], title="k")
"""


def _display_mime_types(kc, allow_stdin: bool) -> list[set[str]]:
    msg_id = kc.execute(_KERNEL_CODE, allow_stdin=allow_stdin)
    found, errors = [], []
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=60)
        except queue.Empty:  # pragma: no cover
            pytest.fail("kernel did not answer within 60 s")
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            break
        if kind in ("execute_result", "display_data"):
            found.append(set(msg["content"]["data"]))
        if kind == "error":
            errors.append(msg["content"])
    assert not errors, errors
    return found


def test_headless_detection_in_a_real_kernel():
    """nbclient/nbval send allow_stdin=False (twin built); JupyterLab sends True (no twin)."""
    manager_module = pytest.importorskip("jupyter_client.manager")
    km = manager_module.KernelManager(kernel_name="python3")
    env = {k: v for k, v in os.environ.items() if k != widgets.MODE_ENV}
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        headless = _display_mime_types(kc, allow_stdin=False)
        live = _display_mime_types(kc, allow_stdin=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert headless == [{WIDGET_VIEW, "text/html", "image/png", "text/plain"}]
    assert live == [{WIDGET_VIEW, "image/png", "text/plain"}]
