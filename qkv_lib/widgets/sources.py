"""Chapter 2's explorer: choose which sequence gives the queries and which the keys and values.

Taught in chapter 2, where Q, K and V come from (self- and cross-attention). The data are the
two toy sequences of :mod:`qkv_lib.examples.sources`; this module draws them.
Shapes: T query length, S key/value length, E embed dim, d_k query/key dim, Dv value dim.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from torch import Tensor

from ..examples.sources import SOURCES, SourceAttention, source_attention
from ..plotting import OKABE_ITO, attention_heatmap, update_heatmap
from .controls import Dropdown
from .explorer import Explorer
from .redraw import clear_heatmap, crisp_cells, pin_titles

__all__ = ["draw_source_attention", "source_explorer"]

_COLOURS = {"decoder": OKABE_ITO["vermillion"], "encoder": OKABE_ITO["blue"]}


def _shape(t: Tensor) -> str:
    return "(" + ", ".join(str(n) for n in t.shape) + ")"


def _kind(a: SourceAttention) -> str:
    if a.is_self:
        return f"self-attention: one sequence, S = T = {a.weights.shape[0]}"
    if a.query_source == "decoder":
        return "cross-attention: the decoder asks the encoder"
    return "cross-attention, reversed: the encoder asks the decoder"


def _shape_lines(a: SourceAttention) -> list[tuple[str, str]]:
    """The text panel: (line, source whose colour it takes or "") pairs."""
    qs, kvs = a.query_source, a.kv_source
    if a.projections:
        made = [
            (f"Q = X_q W_q               (T, d_k) = {_shape(a.q)}", qs),
            (f"K = X_kv W_k              (S, d_k) = {_shape(a.k)}", kvs),
            (f"V = X_kv W_v              (S, Dv)  = {_shape(a.v)}", kvs),
        ]
    else:
        made = [
            (f"Q = X_q                   (T, E)   = {_shape(a.q)}", qs),
            (f"K = X_kv                  (S, E)   = {_shape(a.k)}", kvs),
            (f"V = X_kv                  (S, E)   = {_shape(a.v)}", kvs),
        ]
    out_dim = "Dv" if a.projections else "E "
    lines = [
        (f"X_q:  {qs} embeddings  (T, E)   = {_shape(a.x_q)}", qs),
        (f"X_kv: {kvs} embeddings  (S, E)   = {_shape(a.x_kv)}", kvs),
        ("", ""),
        *made,
        ("", ""),
        (f"weights                   (T, S)   = {_shape(a.weights)}", ""),
        (f"output = weights V        (T, {out_dim})  = {_shape(a.out)}", ""),
    ]
    if a.is_self:
        T = a.weights.shape[0]
        lines += [
            ("", ""),
            (f"scores symmetric: {'yes' if a.symmetric else 'no'}", ""),
            ("tokens whose top weight goes to", ""),
            (f"themselves: {a.diagonal_wins} of {T}", ""),
        ]
    return lines


class _SourcesFigure(Figure):
    """Chapter 2's figure, built once. ``show(...)`` puts the weights in the map (drawn anew
    when the sources, and so its shape and tokens, change) and rewrites the shapes."""

    def __init__(self) -> None:
        # A fixed layout (no layout engine): faster, and the panels never jump between frames.
        super().__init__(figsize=(9.0, 3.9), layout="none")
        self._ax = self.add_axes((0.1, 0.16, 0.44, 0.66))
        pin_titles(self._ax)
        self._sources = ("", "")  # the (query, key/value) sources the map shows: none yet
        self._header = self.text(0.6, 0.9, "", fontsize=9, fontweight="bold", va="top")
        self._lines: list = []

    def show(self, query_source: str, kv_source: str, projections: bool) -> None:
        a = source_attention(query_source, kv_source, projections)
        if (query_source, kv_source) == self._sources:
            update_heatmap(self._ax, a.weights)
        else:
            self._draw_map(a)
        how = "with learned W_q, W_k, W_v" if a.projections else "without projections"
        self._header.set_text(f"shapes, {how}")
        lines = _shape_lines(a)
        if len(lines) != len(self._lines):
            for text in self._lines:
                text.remove()
            self._lines = [
                self.text(0.6, 0.83 - i * 0.055, "", fontsize=8.5, family="monospace", va="top")
                for i in range(len(lines))
            ]
        for text, (line, source) in zip(self._lines, lines, strict=True):
            text.set_text(line)
            text.set_color(_COLOURS.get(source, OKABE_ITO["black"]))

    def _draw_map(self, a: SourceAttention) -> None:
        T, S = a.weights.shape
        ax, qs, kvs = self._ax, a.query_source, a.kv_source
        clear_heatmap(ax)
        attention_heatmap(
            a.weights,
            ax=ax,
            query_labels=a.query_tokens,
            key_labels=a.key_tokens,
            annotate=True,
            colorbar=False,
        )
        crisp_cells(ax)
        ax.set_title(f"attention weights (T, S) = ({T}, {S})\n{_kind(a)}", fontsize=10)
        ax.set_ylabel(f"query: {qs} token (T = {T})", color=_COLOURS[qs])
        ax.set_xlabel(f"key and value: {kvs} token (S = {S})", color=_COLOURS[kvs])
        for label in ax.get_yticklabels():
            label.set_color(_COLOURS[qs])
        for label in ax.get_xticklabels():
            label.set_color(_COLOURS[kvs])
        self._sources = (qs, kvs)


def draw_source_attention(
    query_source: str = "decoder", kv_source: str = "encoder", projections: bool = True
) -> Figure:
    """Chapter 2's figure: the attention map (T, S) for the chosen sources, and every shape.

    Pure function of its controls; the numbers come from :func:`source_attention`.
    """
    fig = _SourcesFigure()
    fig.show(query_source, kv_source, projections)
    return fig


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _describe(query_source: str, kv_source: str, projections: bool) -> str:
    a = source_attention(query_source, kv_source, projections)
    T, S = a.weights.shape
    rows = "; ".join(
        f"{token}: "
        + ", ".join(f"{key} {w:.2f}" for key, w in zip(a.key_tokens, row.tolist(), strict=True))
        for token, row in zip(a.query_tokens, a.weights, strict=True)
    )
    how = "with learned projections" if projections else "without projections (Q = K = V = X)"
    text = (
        f"{_capitalised(_kind(a))}. Q from the {query_source} (T = {T}), K and V from the "
        f"{kv_source} (S = {S}), {how}. Q {_shape(a.q)}, K {_shape(a.k)}, V {_shape(a.v)}; "
        f"attention weights (T, S) = ({T}, {S}), one row per query token: {rows}."
    )
    if a.is_self:
        text += (
            f" Scores symmetric: {'yes' if a.symmetric else 'no'}. "
            f"{a.diagonal_wins} of {T} tokens give their largest weight to themselves."
        )
    return text


def source_explorer(
    *, query_source: str = "decoder", kv_source: str = "encoder", projections: bool = True
) -> Explorer:
    """Chapter 2's explorer: pick the source of Q and of K and V, with or without projections.

    Controls (2 x 2 x 2 = 8 frames): the query source, the key/value source (``"decoder"``,
    3 tokens, or ``"encoder"``, 5 tokens) and whether the projections are applied; the
    keyword arguments are the defaults. Shows the attention map with its shape (T, S) and
    the shapes of X_q, X_kv, Q, K, V, the weights and the output.
    """
    controls = (
        Dropdown("query_source", "Q comes from", SOURCES, default=query_source, fmt="the {}"),
        Dropdown("kv_source", "K and V come from", SOURCES, default=kv_source, fmt="the {}"),
        Dropdown(
            "projections",
            "projections",
            (True, False),
            default=projections,
            fmt=lambda on: "learned W_q, W_k, W_v" if on else "none (Q = K = V = X)",
        ),
    )
    return Explorer(
        draw_source_attention,
        controls,
        build=_SourcesFigure,
        update=_SourcesFigure.show,
        title="Where do Q, K and V come from? Self- and cross-attention",
        alt=_describe,
        caption=(
            "Choose which sequence gives the queries and which gives the keys and values. "
            "The map has one row per query token (T) and one column per key token (S), and "
            "each row sums to 1; the panel on the right lists every shape. The embeddings "
            "and projections are fixed random stand-ins for trained ones, so read the shapes "
            "and the patterns, not which word gets the most weight."
        ),
    )
