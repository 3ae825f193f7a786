"""The contract every chapter's explorer keeps, checked once for all of them.

Every ``*_explorer`` builder in ``qkv_lib.widgets.__all__`` is found and held to the same
rules: it builds with no arguments; its ``draw`` is pure (same controls, same SVG; no
change to ``matplotlib.rcParams``; no pyplot figure left open); its frames come from one
figure built once and updated, and updating it then rendering gives the picture of a fresh
``draw`` at every grid point, whatever it showed before; its alt text follows the controls
and names their values; its grid and its HTML twin stay within the budgets; its display
sends the expected mime types. What is special to one explorer (its maths, its grid, its
wording) is tested in that explorer's own ``test_widgets_*.py``.
"""

from __future__ import annotations

import base64
import html.parser
import json
import warnings

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from qkv_lib import widgets
from qkv_lib.plotting import course_style, figure_to_png, figure_to_svg
from qkv_lib.widgets import MAX_FRAMES, Dropdown, Explorer, Slider
from qkv_lib.widgets.explorer import HTML_BUDGET_BYTES
from qkv_lib.widgets.frames import compact_svg

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Every explorer builder the package exports (chapter explorers are named ``*_explorer``).
BUILDERS = sorted(name for name in widgets.__all__ if name.endswith("_explorer"))
#: One SVG frame (a compact document); the twin embeds up to MAX_FRAMES of them.
FRAME_BUDGET_BYTES = 25_000
_TOKENS = ("the (0)", "cat", "sat", "on", "the (4)", "mat")  # chapter 5's sentence
_STEPS = ("scores", "scaled", "masked", "weights", "output")  # chapter 4's steps

#: How each explorer's alt text names a control's value: builder -> control -> value -> text.
MENTIONS = {
    "query_explorer": {
        "angle": lambda v: f"query at {v} degrees",
        "temperature": lambda v: f"temperature {v:g}",
    },
    "source_explorer": {
        "query_source": lambda v: f"Q from the {v}",
        "kv_source": lambda v: f"K and V from the {v}",
        "projections": lambda v: "with learned projections" if v else "without projections",
    },
    "projection_explorer": {
        "angle_q": lambda v: f"W_q turns them by {v} degrees",
        "scale_q": lambda v: f"stretches them by {v:g}",
        "angle_k": lambda v: f"W_k turns them by {v} degrees",
    },
    "flow_explorer": {
        "step": lambda v: f"step {_STEPS.index(v) + 1} of 5",
        "scaling": lambda v: f"scaling {'on' if v else 'off'}",
        "mask": lambda v: f"mask {v}",
    },
    "heads_explorer": {
        "num_heads": lambda v: f"{v} head{'s' if v > 1 else ''} of Dh = {12 // v}",
        "query": lambda v: f"Highlighted query {_TOKENS[v]}",
    },
    "training_explorer": {
        "step": lambda v: f"After {v} of 300 training steps",
        "example": lambda v: f"probe example {v + 1}",
    },
}


def test_every_explorer_is_found():
    """A new explorer must join the contract (and MENTIONS) rather than slip past it."""
    expected = ["flow_explorer", "heads_explorer", "projection_explorer", "query_explorer"]
    expected += ["source_explorer", "training_explorer"]
    assert BUILDERS == expected
    assert sorted(MENTIONS) == expected


@pytest.fixture(scope="module", params=BUILDERS)
def name(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def explorer(name) -> Explorer:
    """One explorer per builder, shared by the module so every frame is rendered once."""
    return getattr(widgets, name)()


@pytest.fixture(scope="module")
def twin(explorer) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # over the page budget, to_html warns: fail instead
        return explorer.to_html()


def _svg(fig: Figure) -> str:
    with course_style():
        return compact_svg(figure_to_svg(fig))


# --- building and drawing -----------------------------------------------------------------


def test_builds_with_no_arguments(explorer):
    assert isinstance(explorer, Explorer)
    assert explorer.title and explorer.caption
    assert explorer.controls and all(isinstance(c, (Slider, Dropdown)) for c in explorer.controls)
    fig = explorer.render()
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()


def test_draw_is_pure(name, explorer):
    defaults, last = explorer.defaults, list(explorer.grid())[-1]
    rc, figures = dict(mpl.rcParams), plt.get_fignums()
    first, second = explorer.draw(**defaults), explorer.draw(**defaults)
    assert isinstance(first, Figure) and first is not second  # a new figure every call
    assert plt.get_fignums() == figures  # built with Figure(), not pyplot: nothing leaks
    assert dict(mpl.rcParams) == rc  # any style is applied only while drawing
    assert _svg(first) == _svg(second)
    other = getattr(widgets, name)()  # the builder again: a separate frame cache
    assert other.frame(**last) == explorer.frame(**last) != explorer.frame()
    assert dict(mpl.rcParams) == rc and plt.get_fignums() == figures


# --- one figure, updated -------------------------------------------------------------------


def test_the_twin_frames_updated_in_place_are_fresh_draws(explorer, twin):
    """The twin's frames come from one figure updated in grid order: each must be, byte for
    byte, the SVG of a figure drawn anew for its values."""
    assert callable(explorer.build) and callable(explorer.update)
    page = _Twin()
    page.feed(twin)
    frames = json.loads(page.json)["frames"]
    for values, frame in zip(explorer.grid(), frames, strict=True):
        assert frame == _svg(explorer.render(**values)), values
    assert explorer._cache.rendered()  # and the cache that holds them is the explorer's


def test_the_live_widget_updates_one_figure_to_fresh_draws(name):
    """Moving each control of a new widget through all its values (the others at their
    defaults, every frame drawn for the first time) shows, after each move, the SVG of a
    fresh draw; the PNG fallback of the figure left in any state is a fresh draw's, pixel
    for pixel."""
    explorer = getattr(widgets, name)()
    widget = explorer.widget()
    figure = explorer._cache._figure
    assert figure is not None  # built once, for the first frame
    moves = 0
    for spec in explorer.controls:
        control = widget.controls[spec.name]
        for value in [v for v in spec.choices if v != spec.default] + [spec.default]:
            control.value = value
            values = widget.current_values()
            if value != spec.default:
                moves += 1
                assert widget.image.value == _svg(explorer.render(**values)).encode(), values
        assert explorer._cache._figure is figure  # the same figure, updated
    assert moves == sum(len(c.choices) - 1 for c in explorer.controls)
    last = explorer.controls[-1]
    other = {last.name: next(v for v in last.choices if v != last.default)}
    explorer.frame(**other)  # the figure now shows another frame than the PNG's
    with course_style():
        fresh = figure_to_png(explorer.render())
    assert explorer.png() == fresh


# --- alt text -----------------------------------------------------------------------------


def test_alt_text_follows_every_control(name, explorer):
    mentions = MENTIONS[name]
    assert set(mentions) == set(explorer.names)
    default = explorer.alt_text()
    for control in explorer.controls:
        for value in control.choices:
            text = explorer.alt_text(**{control.name: value})
            assert mentions[control.name](value) in text, (control.name, value, text)
            assert (text == default) == (value == control.default), (control.name, value)


# --- budgets and the twin -----------------------------------------------------------------


class _Twin(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.json = ""
        self._in_json = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_json = tag == "script" and dict(attrs).get("type") == "application/json"

    def handle_endtag(self, tag):
        self._in_json = False

    def handle_data(self, data):
        if self._in_json:
            self.json += data

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def test_frames_and_twin_stay_within_budget(explorer, twin):
    assert 1 <= explorer.n_frames == len(list(explorer.grid())) <= MAX_FRAMES
    assert len(twin.encode()) <= HTML_BUDGET_BYTES
    page = _Twin()
    page.feed(twin)
    data = json.loads(page.json)
    assert len(data["frames"]) == explorer.n_frames
    assert data["alts"] == [explorer.alt_text(**values) for values in explorer.grid()]
    if explorer.fmt == "svg":
        assert max(len(frame.encode()) for frame in data["frames"]) <= FRAME_BUDGET_BYTES
        assert all(frame.startswith("<svg") for frame in data["frames"])
    assert len(set(data["frames"])) == explorer.n_frames  # every setting draws a new picture
    # one native control per spec, each with its label; the image shows the default frame
    sliders = [c for c in explorer.controls if isinstance(c, Slider)]
    dropdowns = [c for c in explorer.controls if isinstance(c, Dropdown)]
    assert len(page.find("input", type="range")) == len(sliders)
    assert len(page.find("select")) == len(dropdowns)
    assert len(page.find("option")) == sum(len(c.options) for c in dropdowns)
    assert len(page.find("label")) == len(explorer.controls)
    (img,) = page.find("img")
    assert img["alt"] == explorer.alt_text()
    ids = [a["id"] for _, a in page.tags if a.get("id")]
    assert len(ids) == len(set(ids))


# --- display ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["static", "live"])
def test_mime_bundle_has_the_expected_keys(monkeypatch, explorer, twin, mode):
    monkeypatch.setenv(widgets.MODE_ENV, mode)
    bundle = explorer._repr_mimebundle_()
    twin_keys = ["text/html"] if mode == "static" else []
    assert list(bundle) == [WIDGET_VIEW, *twin_keys, "image/png", "text/plain"]
    assert bundle[WIDGET_VIEW]["model_id"]
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["text/plain"] == repr(explorer)
    assert f"{explorer.n_frames} frames" in bundle["text/plain"] and "0x" not in repr(explorer)
