"""Interactive explorers: live ipywidgets in a notebook, a kernel-free HTML twin in the book.

* :mod:`qkv_lib.widgets.core`        ``Explorer``, ``Slider``, ``Dropdown``: the framework
* :mod:`qkv_lib.widgets.static_html` the precomputed HTML twin and its few lines of JS
* :mod:`qkv_lib.widgets.retrieval`   chapter 1's ``query_explorer``

Every ``*_explorer()`` builder is callable with no arguments, and its figure is a pure
function of its control values.
"""

from .core import MAX_FRAMES, MODE_ENV, Dropdown, Explorer, ExplorerWidget, Slider, running_headless
from .retrieval import draw_query_lookup, query_explorer

__all__ = [
    "MAX_FRAMES",
    "MODE_ENV",
    "Dropdown",
    "Explorer",
    "ExplorerWidget",
    "Slider",
    "draw_query_lookup",
    "query_explorer",
    "running_headless",
]
