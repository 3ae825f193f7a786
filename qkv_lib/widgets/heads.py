"""Chapter 5's explorer: cut the same projections into 1, 2, 3, 4 or 6 heads.

Taught in chapter 5, multi-head attention. The sentence and the weights are those of
:mod:`qkv_lib.examples.heads`; the explorer keeps every weight fixed and changes only H,
that is, how the E = 12 columns are cut into heads.
Shapes: T tokens (S = T: self-attention), E embed dim, H heads, Dh = E / H head dim.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..examples.heads import EMBED_DIM, TOKENS, head_weights, token_name, top_keys
from ..plotting import OKABE_ITO, head_heatmaps
from .controls import Dropdown, Slider
from .explorer import Explorer
from .redraw import crisp_cells, pin_titles

__all__ = ["HEAD_CHOICES", "draw_heads", "heads_explorer"]

#: The numbers of heads the explorer offers: every divisor of E = 12 up to 6.
HEAD_CHOICES: tuple[int, ...] = (1, 2, 3, 4, 6)
_HIGHLIGHT = OKABE_ITO["vermillion"]


def _heads(H: int) -> str:
    return f"{H} head{'s' if H > 1 else ''}"


class _HeadsFigure(Figure):
    """Chapter 5's figure, built once with the grids of panels for ``grids`` (numbers of
    heads; the maps depend on H only). ``show(num_heads, query)`` shows the grid for H
    (drawing it if it is not there yet; the other grids are hidden) and outlines the row of
    the query."""

    def __init__(self, grids: Sequence[int] = ()) -> None:
        super().__init__(figsize=(10.2, 5.9), layout="none")
        self._grids: dict[int, list] = {}  # H -> its panels and their colour bar
        self._marks: list = []  # the outlines and the numbers written for the query
        self._line = self.text(0.5, 0.075, "", ha="center", fontsize=9.5)
        self._summary = self.text(0.5, 0.03, "", ha="center", fontsize=9.5, color=_HIGHLIGHT)
        for H in grids:
            for ax in self._grid(H):
                ax.set_visible(False)

    def _grid(self, H: int) -> list:
        if H not in self._grids:
            Dh = EMBED_DIM // H
            panels = head_heatmaps(
                head_weights(H),  # (H, T, S)
                fig=self,
                query_labels=TOKENS,
                key_labels=TOKENS,
                titles=[f"head {h}, Dh = {Dh}" for h in range(H)],
                bottom=0.55,
            )
            pin_titles(*panels)
            crisp_cells(*panels)
            self._grids[H] = [*panels, self.axes[-1]]  # the colour bar is the last Axes made
        return self._grids[H]

    def show(self, num_heads: int, query: int) -> None:
        weights = head_weights(num_heads)  # (H, T, S)
        H, _, S = weights.shape
        grid = self._grid(num_heads)
        for h, axes in self._grids.items():
            for ax in axes:
                ax.set_visible(h == num_heads)
        for mark in self._marks:
            mark.remove()
        self._marks = []
        row = weights[:, query]  # (H, S): the highlighted query's weights in every head
        for h, ax in enumerate(grid[:H]):
            outline = Rectangle(
                (-0.5, query - 0.5), S, 1, fill=False, edgecolor=_HIGHLIGHT, linewidth=2
            )
            self._marks.append(ax.add_patch(outline))  # around the highlighted query's row
            for j in (row[h] >= row[h].max() - 0.005).nonzero().flatten().tolist():
                value = row[h, j].item()  # write its largest weight (ties too) in the cell
                colour = "black" if value > 0.5 else "white"  # readable on viridis
                text = f"{value:.2f}"
                self._marks.append(
                    ax.text(j, query, text, ha="center", va="center", fontsize=8, color=colour)
                )
        self._line.set_text(
            f"H = {_heads(H)} of Dh = {EMBED_DIM} / {H} = {EMBED_DIM // H}.  Largest weights "
            f"of the query {token_name(query)}:"
        )
        self._summary.set_text(
            "   ".join(
                f"head {h}: {'/'.join(keys)} {w:.2f}"
                for h, (keys, w) in enumerate(top_keys(num_heads, query))
            )
        )


def draw_heads(num_heads: int = 6, query: int = 2) -> Figure:
    """Chapter 5's figure: each head's (T, S) map in a grid, one query row outlined.

    Pure function of (num_heads, query); the numbers come from :func:`head_weights`.
    The figure has the same size for every H, and the panels have the same size too.
    """
    fig = _HeadsFigure()
    fig.show(num_heads, query)
    return fig


def _describe(num_heads: int, query: int) -> str:
    weights = head_weights(num_heads)  # (H, T, S)
    H, Dh = num_heads, EMBED_DIM // num_heads
    per_head = "; ".join(
        f"head {h}: "
        + ", ".join(
            f"{token_name(i)} to {token_name(j)}"
            for i, j in enumerate(weights[h].argmax(-1).tolist())
        )
        for h in range(H)
    )
    chosen = ", ".join(
        f"head {h} {' and '.join(keys)} {w:.2f}"
        for h, (keys, w) in enumerate(top_keys(num_heads, query))
    )
    return (
        f"Attention maps of {_heads(H)} of Dh = {Dh} on the sentence "
        f'"{" ".join(TOKENS)}", one 6 by 6 map per head, queries as rows and keys as columns. '
        f"Highlighted query {token_name(query)}, its largest weight in each head: {chosen}. "
        f"The key each query attends to most, head by head: {per_head}."
    )


def heads_explorer(*, num_heads: int = 6, query: int = 2) -> Explorer:
    """Chapter 5's explorer: the same weights cut into H = 1, 2, 3, 4 or 6 heads.

    Controls (5 x 6 = 30 frames): the number of heads (``HEAD_CHOICES``) and the query
    position whose row is outlined and written out; the keyword arguments are the defaults.
    """
    controls = (
        Slider("num_heads", "heads H", HEAD_CHOICES, default=num_heads, fmt="{}"),
        Dropdown(
            "query",
            "highlighted query",
            tuple(range(len(TOKENS))),
            default=query,
            fmt=lambda i: f"{TOKENS[i]} ({i})",
        ),
    )
    return Explorer(
        draw_heads,
        controls,
        build=functools.partial(_HeadsFigure, HEAD_CHOICES),  # every grid, drawn once
        update=_HeadsFigure.show,
        title="One layer, H heads: the same weights cut into heads",
        alt=_describe,
        caption=(
            "Each panel is one head's attention map: a row per query token, a column per key "
            "token, each row summing to 1. The embeddings and the weights stay fixed; the "
            "slider only changes how the 12 columns of the projections are cut into heads. "
            "The outlined row is the highlighted query, its largest weight written in the "
            "cell; the line below names, head by head, the key that gets that weight."
        ),
    )
