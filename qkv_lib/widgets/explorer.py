"""The Explorer: a pure drawing function on a fixed grid of control values, live or static.

An ``Explorer`` pairs ``draw(**controls) -> Figure`` with ``Slider``/``Dropdown`` specs. In a
live notebook it shows an ipywidgets UI (:mod:`.live`: the controls drive an ``Image`` of the
rendered frame); when the notebook runs headless (the book build, nbval) its display also
carries a kernel-free HTML twin (:mod:`.twin`) with every frame precomputed, so the built
book stays interactive. First used in chapter 1; each chapter's explorer has its own module.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from matplotlib.figure import Figure

from .._frontend import mime_bundle, running_headless
from .._threads import one_thread
from .controls import Control, Dropdown, Slider
from .frames import FORMATS, FrameCache, draw_figure
from .live import ExplorerWidget
from .twin import TwinControl, twin_html

__all__ = ["HTML_BUDGET_BYTES", "MAX_FRAMES", "Explorer"]

#: Default limit on frames per explorer (the HTML twin precomputes them all); see max_frames.
MAX_FRAMES = 100
#: Raw size of one twin above which a warning suggests a coarser grid (about 2 MB per page).
HTML_BUDGET_BYTES = 2_000_000
_uid_counter = itertools.count(1)  # ids stay unique on a page and identical across builds


class Explorer:
    """A pure ``draw(**controls) -> Figure`` on a fixed grid of control values.

    ``draw`` must build its figure with ``matplotlib.figure.Figure()`` (not pyplot) and depend
    only on its arguments: the same values must give the same picture, so every frame can be
    precomputed. ``alt`` is the image's text alternative: a string, or a callable taking the
    control values (so the description follows the picture). ``fmt`` is the twin's format:
    "svg" (lines, bars, small heatmaps: 5-10x smaller) or "png" (dense scatter plots).

    ``build`` and ``update`` (both or neither) make frames fast: ``build()`` makes the figure
    once and ``update(fig, **controls)`` changes only the artists that depend on the
    controls. The live widget and the twin then redraw one figure instead of drawing a new
    one per frame; ``draw`` stays the pure reference (``tests/test_explorer_contract.py``
    checks that ``update`` then render gives the picture of a fresh ``draw`` at every
    grid point, whatever the figure showed before).

    Display it as the last expression of a cell: live frontends get the widget; headless runs
    also get a static HTML twin (``to_html()``), and every run gets a PNG of the default frame.
    """

    def __init__(
        self,
        draw: Callable[..., Figure],
        controls: Sequence[Slider | Dropdown],
        *,
        build: Callable[[], Figure] | None = None,
        update: Callable[..., object] | None = None,
        title: str | None = None,
        alt: str | Callable[..., str] | None = None,
        caption: str | None = None,
        fmt: str = "svg",
        max_frames: int = MAX_FRAMES,
    ) -> None:
        if not callable(draw):
            raise TypeError(f"draw must be a callable returning a Figure; got {draw!r}")
        self.draw = draw
        if (build is None) != (update is None):
            raise TypeError("build and update go together: give both or neither")
        if not (build is None or callable(build)) or not (update is None or callable(update)):
            raise TypeError(f"build and update must be callables; got {build!r}, {update!r}")
        self.build, self.update = build, update
        self.controls: tuple[Slider | Dropdown, ...] = tuple(controls)
        self.title = title
        self.alt = alt
        self.caption = caption
        self.fmt = fmt
        self.max_frames = max_frames
        self._cache = FrameCache(draw, build, update)  # every frame is rendered once
        self._live: ExplorerWidget | None = None  # the widget shown by _repr_mimebundle_
        for control in self.controls:
            if not isinstance(control, Control):
                raise TypeError(f"controls must be Slider or Dropdown specs; got {control!r}")
        names = [c.name for c in self.controls]
        if len(set(names)) != len(names):
            raise ValueError(f"control names must be unique; got {names}")
        if self.fmt not in FORMATS:
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

    # frames ----------------------------------------------------------------------------

    def render(self, **values: Any) -> Figure:
        """The figure for the given control values (missing ones take their defaults)."""
        return draw_figure(self.draw, self._values(values))

    def frames(self) -> Iterator[tuple[dict[str, Any], Figure]]:
        """Yield ``(values, figure)`` for every point of the grid, in grid order."""
        for values in self.grid():
            yield values, self.render(**values)

    def frame(self, **values: Any) -> bytes:
        """The rendered frame (SVG or PNG bytes, per ``fmt``) for these values; cached."""
        return self._cache.get(self.fmt, self._values(values))

    def png(self, **values: Any) -> bytes:
        """The frame as PNG (for PDF output and the ``image/png`` fallback); cached."""
        return self._cache.get("png", self._values(values))

    def alt_text(self, **values: Any) -> str:
        """The text alternative of the frame for these values (the ``<img>`` alt in the twin)."""
        values = self._values(values)
        if callable(self.alt):
            with one_thread():
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
            TwinControl(
                name=c.name,
                label=c.label,
                kind="range" if isinstance(c, Slider) else "select",
                texts=tuple(c.text(v) for v in c.choices),
                default=c.choices.index(c.default),
            )
            for c in self.controls
        ]
        page = twin_html(
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
