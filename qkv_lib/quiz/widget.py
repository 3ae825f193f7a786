"""The live UI of a quiz (chapter 6): ipywidgets radio buttons that write their feedback.

Shown by JupyterLab, Notebook 7 and VS Code: ``RadioButtons`` whose ``.observe`` writes the
chosen option's feedback into an ``HTML`` line, styled like the twin's (:mod:`.twin`). The
classes take a :class:`~qkv_lib.quiz.model.Question` or ``Quiz``, whose ``widget()`` makes
them (the model imports this module, so it cannot import the model back).
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets

from .twin import feedback_html

__all__ = ["QuestionWidget", "QuizWidget"]

# ipywidgets gives every radio label one fixed line of height: let long options wrap.
_WIDGET_CSS = (
    "<style>.qkv-quiz-choice label{height:auto!important;line-height:1.4!important;"
    "padding:0.1em 0}</style>"
)


class QuestionWidget(ipywidgets.VBox):
    """The live UI of one question: the prompt, ``RadioButtons`` and an ``HTML`` feedback line.

    ``.choice`` is the RadioButtons (value: the chosen index, or None before any choice);
    ``.feedback`` is the HTML widget that ``.observe`` on the value keeps up to date.
    """

    def __init__(self, question: Any, number: int | None = None) -> None:
        self.question = question
        head = f"{number}. " if number is not None else ""
        prompt = ipywidgets.HTML(
            f"{_WIDGET_CSS}<strong>{html.escape(head + question.prompt)}</strong>"
        )
        letters = [f"{question.letter(i)}. {option}" for i, option in enumerate(question.options)]
        self._choice = ipywidgets.RadioButtons(
            options=[(label, i) for i, label in enumerate(letters)],  # labels shown as text
            value=None,
            layout=ipywidgets.Layout(width="100%"),
        )
        self._choice.add_class("qkv-quiz-choice")
        self._feedback = ipywidgets.HTML("")
        super().__init__(children=[prompt, self._choice, self._feedback])
        self._choice.observe(self._show_feedback, names="value")

    @property
    def choice(self) -> ipywidgets.RadioButtons:
        return self._choice

    @property
    def feedback(self) -> ipywidgets.HTML:
        return self._feedback

    def _show_feedback(self, change: dict[str, Any]) -> None:
        self._feedback.value = feedback_html(self.question, change["new"])


class QuizWidget(ipywidgets.VBox):
    """The live UI of a quiz: its title, then one :class:`QuestionWidget` per question."""

    def __init__(self, quiz: Any) -> None:
        self.quiz = quiz
        self.questions = [
            QuestionWidget(question, quiz.number(k)) for k, question in enumerate(quiz.questions)
        ]
        children: list[ipywidgets.Widget] = []
        if quiz.title:
            children.append(ipywidgets.HTML(f"<strong>{html.escape(quiz.title)}</strong>"))
        children.extend(self.questions)
        super().__init__(children=children)
