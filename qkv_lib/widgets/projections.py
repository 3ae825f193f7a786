"""Chapter 3's explorer: turn and stretch W_q and W_k in the plane and watch the attention.

Taught in chapter 3, the projection process. The tokens and the rotations are those of
:mod:`qkv_lib.examples.plane`; this module draws them.
Shapes: T number of tokens (S = T: self-attention); here d_k = E = 2, a coincidence
of the example.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from ..examples.plane import TOKEN_ANGLES, TOKEN_LENGTH, project_tokens
from ..plotting import CYCLE, attention_heatmap, update_heatmap, vectors_2d
from .controls import Dropdown, Slider
from .explorer import Explorer
from .redraw import crisp_cells, move_arrows, pin_titles

__all__ = ["draw_projection", "projection_explorer"]

_TOKEN_COLOURS = CYCLE[:4]
# The untransformed tokens, drawn behind their projections in a pale version of their colour.
_TOKEN_PALE = tuple(to_rgba(colour, alpha=0.35) for colour in _TOKEN_COLOURS)
_PLANE_LIMIT = 4.6  # fixed axes, so frames line up: the longest query has length 4


def _names(prefix: str) -> list[str]:
    return [f"{prefix}{i}" for i in range(len(TOKEN_ANGLES))]


class _ProjectionFigure(Figure):
    """Chapter 3's figure, built once; ``show(angle_q, scale_q, angle_k)`` turns the queries'
    and the keys' arrows, redraws the weights and retitles the panels."""

    def __init__(self) -> None:
        super().__init__(figsize=(10.0, 3.5), layout="none")
        ax_q, ax_k, self._ax_w = self.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.0, 1.0, 1.05], "wspace": 0.32}
        )
        self.subplots_adjust(left=0.03, right=0.98, bottom=0.13, top=0.9)
        p = project_tokens(0.0, 1.0, 0.0)
        self._planes = []
        for ax, prefix in ((ax_q, "q"), (ax_k, "k")):
            vectors_2d(
                {"tokens x": p.tokens, prefix: p.tokens},
                ax=ax,
                labels={prefix: _names(prefix)},
                colors={"tokens x": list(_TOKEN_PALE), prefix: list(_TOKEN_COLOURS)},
                limit=_PLANE_LIMIT,
                legend=False,
            )
            # No ticks (they cost ~1.5 ms each): the grey cross marks the origin, the pale
            # arrows (the tokens, all of length 2) give the scale.
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ("left", "bottom"):
                ax.spines[side].set_visible(False)
            n = len(TOKEN_ANGLES)
            self._planes.append((ax, ax.collections[-1], list(ax.texts)[-n:]))
        attention_heatmap(
            p.weights,
            ax=self._ax_w,
            query_labels=_names("token "),
            key_labels=_names("token "),
            annotate=True,
            colorbar=False,
        )
        crisp_cells(self._ax_w)
        self._ax_w.set_title("attention weights softmax(q·k / √2)")
        pin_titles(ax_q, ax_k, self._ax_w)

    def show(self, angle_q: float, scale_q: float, angle_k: float) -> None:
        p = project_tokens(angle_q, scale_q, angle_k)
        titles = (
            f"queries: x W_q, W_q = {scale_q:g}·R({angle_q:g}°)",
            f"keys: x W_k, W_k = R({angle_k:g}°)",
        )
        for (ax, arrows, names), vectors, title in zip(
            self._planes, (p.queries, p.keys), titles, strict=True
        ):
            move_arrows(arrows, names, vectors.tolist())
            ax.set_title(title)
        update_heatmap(self._ax_w, p.weights)


def draw_projection(angle_q: float = 0.0, scale_q: float = 1.0, angle_k: float = 0.0) -> Figure:
    """Chapter 3's figure: the queries, the keys (each over the pale tokens) and the weights.

    Pure function of (angle_q in degrees, scale_q, angle_k in degrees); uses ``project_tokens``.
    """
    fig = _ProjectionFigure()
    fig.show(angle_q, scale_q, angle_k)
    return fig


def _describe_projection(angle_q: float, scale_q: float, angle_k: float) -> str:
    p = project_tokens(angle_q, scale_q, angle_k)
    rows = []
    for i, row in enumerate(p.weights.tolist()):
        best = max(range(len(row)), key=row.__getitem__)
        shares = ", ".join(f"{w:.2f}" for w in row)
        rows.append(f"token {i} attends most to token {best} (weights {shares})")
    return (
        f"Four tokens of length {TOKEN_LENGTH:g} at "
        f"{', '.join(f'{a:g}' for a in TOKEN_ANGLES)} degrees. "
        f"W_q turns them by {angle_q:g} degrees and stretches them by {scale_q:g}; "
        f"W_k turns them by {angle_k:g} degrees. " + "; ".join(rows) + "."
    )


def projection_explorer(
    angles_q: Sequence[float] = tuple(range(0, 360, 30)),
    scales_q: Sequence[float] = (0.25, 0.5, 1.0, 2.0),
    angles_k: Sequence[float] = (0, 90),
    *,
    angle_q: float = 0,
    scale_q: float = 1.0,
    angle_k: float = 0,
) -> Explorer:
    """Chapter 3's explorer: turn and stretch W_q, turn W_k, and watch the attention weights.

    Controls: W_q's angle (``angles_q``, degrees; default 12 steps of 30°), W_q's scale
    (``scales_q``) and W_k's angle (``angles_k``); 96 frames by default. ``angle_q``,
    ``scale_q`` and ``angle_k`` are the defaults (both matrices the identity).
    """
    controls = (
        Slider("angle_q", "W_q angle", tuple(angles_q), default=angle_q, fmt="{:g}°"),
        Dropdown("scale_q", "W_q scale", tuple(scales_q), default=scale_q, fmt="{:g}"),
        Dropdown("angle_k", "W_k angle", tuple(angles_k), default=angle_k, fmt="{:g}°"),
    )
    return Explorer(
        draw_projection,
        controls,
        build=_ProjectionFigure,
        update=_ProjectionFigure.show,
        title="Projections in the plane: W_q and W_k decide who attends to whom",
        alt=_describe_projection,
        caption=(
            "Left: the queries q = x W_q; middle: the keys k = x W_k, each drawn in its "
            "token's colour over a pale arrow for the token it comes from. Right: the attention "
            "weights, one row per query. Turning W_q makes each token look in another "
            "direction; a larger scale sharpens the weights. Turning W_k by the same angle as "
            "W_q changes no weight."
        ),
    )
