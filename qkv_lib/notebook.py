"""One-call notebook set-up: seed, print options, inline figures and the course's figure style.

Used in the set-up cell of every chapter (``qkv.setup_notebook(seed=0)``); introduced in
chapter 1, Q, K and V as retrieval.
"""

from __future__ import annotations

import matplotlib as mpl
import torch

from ._frontend import kernel
from .plotting import COURSE_STYLE

__all__ = ["setup_notebook"]


def setup_notebook(seed: int = 0) -> None:
    """Prepare a notebook: seed torch, set print options, show figures inline, apply the style.

    - ``torch.manual_seed(seed)`` so printed numbers match the prose;
    - ``torch.set_printoptions(precision=4, sci_mode=False)``;
    - inside a Jupyter kernel, ``%matplotlib inline`` so figures appear even when
      ``MPLBACKEND=Agg`` is set (otherwise ``plt.show()`` prints nothing and the book has no
      figures); outside a kernel (plain Python, terminal IPython) the backend is left alone;
    - the course's figure style (``qkv_lib.plotting.COURSE_STYLE``).

    Safe to call more than once: each call leaves the same state.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")
    torch.manual_seed(seed)
    torch.set_printoptions(precision=4, sci_mode=False)
    running = kernel()
    if running is not None:
        # Only a kernel has a frontend to show inline figures; a terminal IPython keeps its GUI.
        running.shell.run_line_magic("matplotlib", "inline")
    mpl.rcParams.update(COURSE_STYLE)  # after the backend switch, so nothing overrides it
