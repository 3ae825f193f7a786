"""The live UI of an explorer: ipywidgets controls above an ``Image`` of the current frame.

Shown by JupyterLab, Notebook 7 and VS Code, where a kernel runs the redraws. The controls
are a ``SelectionSlider`` or a ``Dropdown`` on exactly the explorer's grid, so every picture
the reader can reach is one the kernel-free twin also has. First used in chapter 1.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets

from .controls import Slider

__all__ = ["ExplorerWidget"]


class ExplorerWidget(ipywidgets.VBox):
    """The live UI of an :class:`~qkv_lib.widgets.explorer.Explorer` (made by its ``widget()``).

    ``.controls`` maps each control name to its ipywidget; ``.image`` is the Image widget.
    """

    def __init__(self, explorer: Any) -> None:  # an Explorer (which imports this module)
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
