"""Interactive explorers: live ipywidgets in a notebook, a kernel-free HTML twin in the book.

* :mod:`qkv_lib.widgets.core`        ``Explorer``, ``Slider``, ``Dropdown``: the framework
* :mod:`qkv_lib.widgets.static_html` the precomputed HTML twin and its few lines of JS
* :mod:`qkv_lib.widgets.retrieval`   chapter 1's ``query_explorer``: a query among the keys
* :mod:`qkv_lib.widgets.sources`     chapter 2's ``source_explorer``: where Q, K and V come from
* :mod:`qkv_lib.widgets.projections` chapter 3's ``projection_explorer``: W_q and W_k in the plane
* :mod:`qkv_lib.widgets.flow`        chapter 4's ``flow_explorer``: one attention step at a time
* :mod:`qkv_lib.widgets.heads`       chapter 5's ``heads_explorer``: one layer cut into 1 to 6 heads
* :mod:`qkv_lib.widgets.training`    chapter 7's ``training_explorer``: a training run, step by step

Every ``*_explorer()`` builder is callable with no arguments, and its figure is a pure
function of its control values.
"""

from .core import MAX_FRAMES, MODE_ENV, Dropdown, Explorer, ExplorerWidget, Slider, running_headless
from .flow import draw_flow_step, flow_explorer
from .heads import draw_heads, heads_explorer
from .projections import draw_projection, projection_explorer
from .retrieval import draw_query_lookup, query_explorer
from .sources import draw_source_attention, source_explorer
from .training import draw_training_checkpoint, training_explorer

__all__ = [
    "MAX_FRAMES",
    "MODE_ENV",
    "Dropdown",
    "Explorer",
    "ExplorerWidget",
    "Slider",
    "draw_flow_step",
    "draw_heads",
    "draw_projection",
    "draw_query_lookup",
    "draw_source_attention",
    "draw_training_checkpoint",
    "flow_explorer",
    "heads_explorer",
    "projection_explorer",
    "query_explorer",
    "running_headless",
    "source_explorer",
    "training_explorer",
]
