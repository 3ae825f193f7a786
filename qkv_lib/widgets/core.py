"""Explorers: a pure drawing function on a fixed grid of control values, live or static.

An ``Explorer`` pairs ``draw(**controls) -> Figure`` with ``Slider``/``Dropdown`` specs. In a
live notebook it shows an ipywidgets UI (the controls drive an ``Image`` of the rendered
frame); when the notebook runs headless (the book build, nbval) its display also carries a
kernel-free HTML twin with every frame precomputed, so the built book stays interactive.
First used in chapter 1; each chapter's explorers live in a module of their own beside this one.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import hashlib
import html
import itertools
import math
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets
from matplotlib.figure import Figure

from ..plotting import course_style, figure_to_png, figure_to_svg
from . import static_html as _static_html

__all__ = ["Dropdown", "Explorer", "ExplorerWidget", "Slider", "mime_bundle", "running_headless"]

#: Default limit on frames per explorer (the HTML twin precomputes them all); see max_frames.
MAX_FRAMES = 100
#: Raw size of one twin above which a warning suggests a coarser grid (about 2 MB per page).
HTML_BUDGET_BYTES = 2_000_000
#: Environment switch: "live" or "static" forces a mode; anything else (default) detects it.
MODE_ENV = "QKV_EXPLORER_MODE"
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_uid_counter = itertools.count(1)


# --- control specs ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Control:
    name: str
    label: str
    choices: tuple = ()
    default: Any = None
    fmt: str | Callable[[Any], str] = "{}"

    def __post_init__(self) -> None:
        kind = type(self).__name__
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"{kind} name must be a Python identifier; got {self.name!r}")
        choices = tuple(self.choices)
        if not choices:
            raise ValueError(f"{kind} {self.name!r} needs at least one value; got none")
        if len(set(map(repr, choices))) != len(choices):
            raise ValueError(f"{kind} {self.name!r} has repeated values: {choices}")
        object.__setattr__(self, "choices", choices)
        if self.default is None:
            object.__setattr__(self, "default", choices[0])
        elif self.default not in choices:
            raise ValueError(
                f"{kind} {self.name!r}: default {self.default!r} is not one of its values {choices}"
            )
        if not (isinstance(self.fmt, str) or callable(self.fmt)):
            raise TypeError(f"{kind} {self.name!r}: fmt must be a format string or a callable")

    def text(self, value: Any) -> str:
        """How ``value`` is shown next to the control."""
        return self.fmt.format(value) if isinstance(self.fmt, str) else str(self.fmt(value))


class Slider(_Control):
    """A slider over a fixed tuple of values: ``Slider(name, label, values, default=None)``.

    ``default`` None means the first value; ``fmt`` is a format string ("{}°") or a callable.
    """

    def __init__(
        self,
        name: str,
        label: str,
        values: Sequence[Any],
        default: Any = None,
        fmt: str | Callable[[Any], str] = "{}",
    ) -> None:
        super().__init__(name, label, tuple(values), default, fmt)

    @property
    def values(self) -> tuple:
        return self.choices

    @classmethod
    def linspace(
        cls,
        name: str,
        label: str,
        start: float,
        stop: float,
        num: int,
        default: float | None = None,
        fmt: str | Callable[[Any], str] = "{:g}",
    ) -> Slider:
        """A slider on ``num`` evenly spaced values from ``start`` to ``stop`` (inclusive)."""
        if num < 1:
            raise ValueError(f"num must be at least 1; got {num}")
        step = (stop - start) / (num - 1) if num > 1 else 0.0
        values = tuple(round(start + i * step, 10) for i in range(num))
        return cls(name, label, values, default, fmt)

    def __repr__(self) -> str:
        n = len(self.values)
        return f"Slider({self.name!r}, {self.label!r}, {n} values, default={self.default!r})"


class Dropdown(_Control):
    """A drop-down menu over fixed options: ``Dropdown(name, label, options, default=None)``."""

    def __init__(
        self,
        name: str,
        label: str,
        options: Sequence[Any],
        default: Any = None,
        fmt: str | Callable[[Any], str] = "{}",
    ) -> None:
        super().__init__(name, label, tuple(options), default, fmt)

    @property
    def options(self) -> tuple:
        return self.choices

    def __repr__(self) -> str:
        n = len(self.options)
        return f"Dropdown({self.name!r}, {self.label!r}, {n} options, default={self.default!r})"


# --- headless detection -------------------------------------------------------------------


def _kernel() -> Any:
    """The running ipykernel Kernel, or None outside a kernel (plain Python, terminal IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    shell = get_ipython()
    return getattr(shell, "kernel", None) if shell is not None else None


def running_headless() -> bool:
    """True when no live frontend can show a widget, so the HTML twin is needed.

    The book build (myst-nb/nbclient) and nbval send execute requests with
    ``allow_stdin=False``; JupyterLab, Notebook 7 and VS Code send True. We read the flag from
    the current request's content (falling back to ipykernel's ``_allow_stdin``). Outside a
    kernel there is no widget frontend at all, so this returns True. The environment variable
    ``QKV_EXPLORER_MODE=live`` or ``=static`` overrides the detection.
    """
    mode = os.environ.get(MODE_ENV, "").strip().lower()
    if mode in ("live", "static"):
        return mode == "static"
    kernel = _kernel()
    if kernel is None:
        return True
    try:
        content = (kernel.get_parent() or {}).get("content") or {}
    except Exception:  # older or unusual kernels: use the flag ipykernel stores
        content = {}
    if "allow_stdin" in content:
        return not content["allow_stdin"]
    return not getattr(kernel, "_allow_stdin", False)


# --- display ------------------------------------------------------------------------------


def mime_bundle(
    live: ipywidgets.Widget, extra: dict[str, Any], include: Any = None, exclude: Any = None
) -> dict[str, Any]:
    """The live widget's view followed by ``extra`` mime types, filtered by include/exclude.

    Shared by explorers and quizzes: a live frontend renders the widget view, the book ranks
    ``text/html`` (the kernel-free twin) above it, and ``text/plain`` serves everything else.
    """
    bundle: dict[str, Any] = {}
    view = live._repr_mimebundle_().get(_WIDGET_VIEW)
    if view is not None:
        bundle[_WIDGET_VIEW] = view
    bundle.update(extra)
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle


# --- the explorer -------------------------------------------------------------------------


@contextlib.contextmanager
def _young_garbage_only() -> Iterator[None]:
    """Render a frame without letting its garbage reach Python's oldest GC generation.

    A frame allocates many short-lived objects in reference cycles (figure <-> axes <->
    artists). Collected mid-render they survive, age, and every ~12 frames trigger a full
    collection of the whole heap (torch included): a ~200 ms stall. Pausing the collector
    while rendering and sweeping the youngest generation afterwards (where all of the frame's
    objects still are) costs a few ms per frame and keeps the stall away.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


class ExplorerWidget(ipywidgets.VBox):
    """The live UI of an ``Explorer``: its controls above an ``Image`` of the current frame.

    ``.controls`` maps each control name to its ipywidget; ``.image`` is the Image widget.
    """

    def __init__(self, explorer: Explorer) -> None:
        self._explorer = explorer
        style = {"description_width": "initial"}
        controls: dict[str, ipywidgets.ValueWidget] = {}
        for spec in explorer.controls:
            options = [(spec.text(value), value) for value in spec.choices]
            if isinstance(spec, Slider):
                control = ipywidgets.SelectionSlider(
                    options=options,
                    value=spec.default,
                    description=spec.label,
                    continuous_update=True,
                    style=style,
                    layout=ipywidgets.Layout(width="24em"),
                )
            else:
                control = ipywidgets.Dropdown(
                    options=options, value=spec.default, description=spec.label, style=style
                )
            controls[spec.name] = control
        self._controls = controls
        self._image = ipywidgets.Image(
            value=explorer.frame(),
            format=explorer.image_format,
            layout=ipywidgets.Layout(max_width="100%"),
        )
        children: list[ipywidgets.Widget] = []
        if explorer.title:
            children.append(ipywidgets.HTML(f"<strong>{html.escape(explorer.title)}</strong>"))
        children.append(ipywidgets.HBox(list(controls.values())))
        children.append(self._image)
        super().__init__(children=children)
        for control in controls.values():
            control.observe(self._redraw, names="value")

    @property
    def controls(self) -> dict[str, ipywidgets.ValueWidget]:
        return dict(self._controls)

    @property
    def image(self) -> ipywidgets.Image:
        return self._image

    def current_values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self._controls.items()}

    def _redraw(self, _change: object = None) -> None:
        self._image.value = self._explorer.frame(**self.current_values())


class Explorer:
    """A pure ``draw(**controls) -> Figure`` on a fixed grid of control values.

    ``draw`` must build its figure with ``matplotlib.figure.Figure()`` (not pyplot) and depend
    only on its arguments: the same values must give the same picture, so every frame can be
    precomputed. ``alt`` is the image's text alternative: a string, or a callable taking the
    control values (so the description follows the picture). ``fmt`` is "svg" (lines, bars,
    small heatmaps: 5-10x smaller) or "png" (dense scatter plots).

    Display it as the last expression of a cell: live frontends get the widget; headless runs
    also get a static HTML twin (``to_html()``), and every run gets a PNG of the default frame.
    """

    def __init__(
        self,
        draw: Callable[..., Figure],
        controls: Sequence[Slider | Dropdown],
        *,
        title: str | None = None,
        alt: str | Callable[..., str] | None = None,
        caption: str | None = None,
        fmt: str = "svg",
        max_frames: int = MAX_FRAMES,
    ) -> None:
        if not callable(draw):
            raise TypeError(f"draw must be a callable returning a Figure; got {draw!r}")
        self.draw = draw
        self.controls: tuple[Slider | Dropdown, ...] = tuple(controls)
        self.title = title
        self.alt = alt
        self.caption = caption
        self.fmt = fmt
        self.max_frames = max_frames
        self._cache: dict[tuple, bytes] = {}  # rendered frames, keyed by format and values
        self._live: ExplorerWidget | None = None  # the widget shown by _repr_mimebundle_
        for control in self.controls:
            if not isinstance(control, _Control):
                raise TypeError(f"controls must be Slider or Dropdown specs; got {control!r}")
        names = [c.name for c in self.controls]
        if len(set(names)) != len(names):
            raise ValueError(f"control names must be unique; got {names}")
        if self.fmt not in ("svg", "png"):
            raise ValueError(f'fmt must be "svg" or "png"; got {self.fmt!r}')
        if self.n_frames > self.max_frames:
            sizes = " x ".join(str(len(c.choices)) for c in self.controls)
            raise ValueError(
                f"the control grid has {self.n_frames} frames ({sizes}), more than max_frames="
                f"{self.max_frames}: the HTML twin precomputes every frame. Use coarser controls."
            )

    # grid ------------------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.controls)

    @property
    def n_frames(self) -> int:
        return math.prod(len(c.choices) for c in self.controls)

    @property
    def defaults(self) -> dict[str, Any]:
        return {c.name: c.default for c in self.controls}

    @property
    def image_format(self) -> str:
        """The ipywidgets ``Image.format`` of a frame."""
        return "svg+xml" if self.fmt == "svg" else "png"

    def grid(self) -> Iterator[dict[str, Any]]:
        """Every combination of control values, the last control varying fastest."""
        for combo in itertools.product(*(c.choices for c in self.controls)):
            yield dict(zip(self.names, combo, strict=True))

    def _values(self, overrides: dict[str, Any]) -> dict[str, Any]:
        unknown = set(overrides) - set(self.names)
        if unknown:
            raise TypeError(f"unknown control(s) {sorted(unknown)}; the controls are {self.names}")
        values = {**self.defaults, **overrides}
        for control in self.controls:
            if values[control.name] not in control.choices:
                raise ValueError(
                    f"{control.name}={values[control.name]!r} is not on the explorer's grid; "
                    f"choose one of {control.choices}"
                )
        return values

    # rendering -------------------------------------------------------------------------

    def render(self, **values: Any) -> Figure:
        """The figure for the given control values (missing ones take their defaults)."""
        values = self._values(values)
        with course_style():
            fig = self.draw(**values)
        if not isinstance(fig, Figure):
            raise TypeError(
                f"draw must return a matplotlib Figure; got {type(fig).__name__} for {values}"
            )
        if fig.canvas.manager is not None:  # made by pyplot: it would leak into cell outputs
            import matplotlib.pyplot as plt

            plt.close(fig)
            raise ValueError(
                "draw made its figure with pyplot (plt.figure / plt.subplots); build it with "
                "matplotlib.figure.Figure() so nothing leaks into the notebook's outputs"
            )
        return fig

    def frames(self) -> Iterator[tuple[dict[str, Any], Figure]]:
        """Yield ``(values, figure)`` for every point of the grid, in grid order."""
        for values in self.grid():
            yield values, self.render(**values)

    def frame(self, **values: Any) -> bytes:
        """The rendered frame (SVG or PNG bytes, per ``fmt``) for these values; cached."""
        values = self._values(values)
        key = (self.fmt, *(values[name] for name in self.names))
        if key not in self._cache:
            with _young_garbage_only():
                fig = self.render(**values)
                with course_style():
                    if self.fmt == "svg":
                        data = _static_html.compact_svg(figure_to_svg(fig)).encode()
                    else:
                        data = figure_to_png(fig)
                del fig
            self._cache[key] = data
        return self._cache[key]

    def png(self, **values: Any) -> bytes:
        """The frame as PNG (for PDF output and the ``image/png`` fallback); cached."""
        values = self._values(values)
        key = ("png-fallback", *(values[name] for name in self.names))
        if key not in self._cache:
            with _young_garbage_only():
                fig = self.render(**values)
                with course_style():
                    self._cache[key] = figure_to_png(fig)
                del fig
        return self._cache[key]

    def alt_text(self, **values: Any) -> str:
        """The text alternative of the frame for these values (the ``<img>`` alt in the twin)."""
        values = self._values(values)
        if callable(self.alt):
            return str(self.alt(**values))
        if self.alt:
            return self.alt
        settings = ", ".join(f"{c.label} {c.text(values[c.name])}" for c in self.controls)
        return f"{self.title or 'Explorer'}: {settings}"

    # outputs ---------------------------------------------------------------------------

    def widget(self) -> ExplorerWidget:
        """A new live ipywidgets UI: the controls drive an Image of the rendered frame."""
        return ExplorerWidget(self)

    def to_html(self) -> str:
        """The kernel-free HTML twin: every frame precomputed, native controls, inline JS."""
        frames = []
        alts = []
        for values in self.grid():
            data = self.frame(**values)
            frames.append(data.decode() if self.fmt == "svg" else base64.b64encode(data).decode())
            alts.append(self.alt_text(**values))
        digest = hashlib.sha1("".join(frames).encode()).hexdigest()[:8]
        uid = f"qkv-explorer-{digest}-{next(_uid_counter)}"
        controls = [
            _static_html.StaticControl(
                name=c.name,
                label=c.label,
                kind="range" if isinstance(c, Slider) else "select",
                texts=tuple(c.text(v) for v in c.choices),
                default=c.choices.index(c.default),
            )
            for c in self.controls
        ]
        page = _static_html.build_static_html(
            uid=uid,
            controls=controls,
            frames=frames,
            alts=alts,
            mime="image/svg+xml" if self.fmt == "svg" else "image/png",
            base64=self.fmt == "png",
            title=self.title,
            caption=self.caption,
        )
        size = len(page.encode())
        if size > HTML_BUDGET_BYTES:
            warnings.warn(
                f"{self!r}: the HTML twin is {size / 1e6:.1f} MB, over the "
                f"{HTML_BUDGET_BYTES / 1e6:.0f} MB page budget; use fewer frames or simpler "
                "figures",
                stacklevel=2,
            )
        return page

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Widget view + PNG + text/plain; plus the HTML twin when ``running_headless()``."""
        if self._live is None:
            self._live = self.widget()
        extra: dict[str, Any] = {}
        if running_headless():
            extra["text/html"] = self.to_html()
        extra["image/png"] = base64.b64encode(self.png()).decode("ascii")
        extra["text/plain"] = repr(self)
        return mime_bundle(self._live, extra, include, exclude)

    def __repr__(self) -> str:
        controls = ", ".join(f"{c.name} ({len(c.choices)})" for c in self.controls)
        title = f"{self.title!r}, " if self.title else ""
        return f"Explorer({title}controls: {controls}; {self.n_frames} frames)"
