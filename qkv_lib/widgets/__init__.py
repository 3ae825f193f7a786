"""Interactive explorers: live ipywidgets in a notebook, a kernel-free HTML twin in the book.

The machinery (the frontend probe and the mime bundle are in :mod:`qkv_lib._frontend`):

* :mod:`qkv_lib.widgets.controls`    ``Slider`` and ``Dropdown``: a control's fixed values
* :mod:`qkv_lib.widgets.frames`      a figure for given values, rendered once to SVG or PNG
* :mod:`qkv_lib.widgets.explorer`    ``Explorer``: a pure ``draw`` on a grid, and its display;
  with ``build``/``update`` its frames come from one figure, updated per frame
* :mod:`qkv_lib.widgets.redraw`      helpers that change a built figure (arrows, bars, titles)
* :mod:`qkv_lib.widgets.live`        the live ipywidgets UI that a kernel redraws
* :mod:`qkv_lib.widgets.twin`        the precomputed HTML twin and its few lines of JS

One explorer per chapter:

* :mod:`qkv_lib.widgets.retrieval`   chapter 1's ``query_explorer``: a query among the keys
* :mod:`qkv_lib.widgets.sources`     chapter 2's ``source_explorer``: where Q, K and V come from
* :mod:`qkv_lib.widgets.projections` chapter 3's ``projection_explorer``: W_q and W_k in the plane
* :mod:`qkv_lib.widgets.flow`        chapter 4's ``flow_explorer``: one attention step at a time
* :mod:`qkv_lib.widgets.heads`       chapter 5's ``heads_explorer``: one layer cut into 1 to 6 heads
* :mod:`qkv_lib.widgets.training`    chapter 7's ``training_explorer``: a training run, step by step

Every ``*_explorer()`` builder is callable with no arguments, and its figure is a pure
function of its control values; each builds its figure once and updates it per frame to
the picture a fresh ``draw`` gives (``tests/test_explorer_contract.py`` holds them all to
that).
"""

from .._frontend import MODE_ENV, running_headless
from .controls import Dropdown, Slider
from .explorer import MAX_FRAMES, Explorer
from .flow import flow_explorer
from .heads import heads_explorer
from .projections import projection_explorer
from .retrieval import query_explorer
from .sources import source_explorer
from .training import training_explorer

__all__ = [
    "MAX_FRAMES",
    "MODE_ENV",
    "Dropdown",
    "Explorer",
    "Slider",
    "flow_explorer",
    "heads_explorer",
    "projection_explorer",
    "query_explorer",
    "running_headless",
    "source_explorer",
    "training_explorer",
]
