"""What the library knows about the notebook frontend, in one place.

Shared by the explorers (:mod:`qkv_lib.widgets`, from chapter 1) and the quizzes
(:mod:`qkv_lib.quiz`, chapter 6), and by :func:`qkv_lib.setup_notebook`:

* :func:`kernel` and :func:`running_headless`: is there a running kernel, and can a live
  frontend show widgets (JupyterLab, Notebook 7, VS Code) or is nobody watching (the book
  build, nbval, plain Python)? ``QKV_EXPLORER_MODE`` (:data:`MODE_ENV`) overrides the guess;
* :func:`mime_bundle`: a display's views, the live widget first, then the fallbacks;
* :func:`json_for_script`: data for a ``<script type="application/json">`` element.

Imports IPython only inside :func:`kernel`, and neither ipywidgets nor matplotlib at all.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

__all__ = [
    "MODE_ENV",
    "WIDGET_VIEW",
    "json_for_script",
    "kernel",
    "mime_bundle",
    "running_headless",
]

#: Environment switch: "live" or "static" forces a mode; anything else (default) detects it.
MODE_ENV = "QKV_EXPLORER_MODE"
#: The mime type of a live ipywidgets view.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# --- the kernel probe ---------------------------------------------------------------------


def kernel() -> Any:
    """The running ipykernel Kernel, or None outside a kernel (plain Python, terminal IPython).

    A kernel's ``.shell`` is the IPython shell that runs the notebook's cells.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return None
    shell = get_ipython()
    return getattr(shell, "kernel", None) if shell is not None else None


def running_headless() -> bool:
    """True when no live frontend can show a widget, so a kernel-free HTML twin is needed.

    The book build (myst-nb/nbclient) and nbval send execute requests with
    ``allow_stdin=False``; JupyterLab, Notebook 7 and VS Code send True. We read the flag from
    the current request's content (falling back to ipykernel's ``_allow_stdin``). Outside a
    kernel there is no widget frontend at all, so this returns True. The environment variable
    ``QKV_EXPLORER_MODE=live`` or ``=static`` overrides the detection.
    """
    mode = os.environ.get(MODE_ENV, "").strip().lower()
    if mode in ("live", "static"):
        return mode == "static"
    current = kernel()
    if current is None:
        return True
    try:
        content = (current.get_parent() or {}).get("content") or {}
    except Exception:  # older or unusual kernels: use the flag ipykernel stores
        content = {}
    if "allow_stdin" in content:
        return not content["allow_stdin"]
    return not getattr(current, "_allow_stdin", False)


# --- what a display sends -----------------------------------------------------------------


def mime_bundle(
    live: Any, extra: dict[str, Any], include: Any = None, exclude: Any = None
) -> dict[str, Any]:
    """The ``live`` ipywidget's view followed by ``extra`` mime types, filtered like IPython.

    A live frontend renders the widget view, the book ranks ``text/html`` (the kernel-free
    twin) above it, and ``text/plain`` serves everything else. ``include``/``exclude`` are
    the collections of mime types IPython passes to ``_repr_mimebundle_``.
    """
    bundle: dict[str, Any] = {}
    view = live._repr_mimebundle_().get(WIDGET_VIEW)
    if view is not None:
        bundle[WIDGET_VIEW] = view
    bundle.update(extra)
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle


# Inside <script>, "</script" ends the element and "<!--" starts an escaped section in which a
# later "<script" swallows the rest of the page: both begin with "<" followed by "/" or "!",
# so exactly those "<" are written as \u003c. Other "<" and ">" stay literal: an explorer's
# frames are SVG text full of them, and escaping all would make each twin about a quarter
# larger. U+2028 and U+2029, which end a line in older JavaScript, are escaped too. JSON allows
# all of these only inside strings, where \uXXXX stands for the same character, so JSON.parse
# (or json.loads) reads back exactly the data that was written.
_UNSAFE = re.compile("<(?=[/!])|\u2028|\u2029")


def json_for_script(data: object) -> str:
    """Compact JSON of ``data`` that is inert inside ``<script type="application/json">``.

    A ``<`` before ``/`` or ``!``, U+2028 and U+2029 are written as ``\\uXXXX`` escapes, so
    the text can hold any string (``"</script>"``, ``"<!--"``) and still parses back to ``data``.
    """
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
