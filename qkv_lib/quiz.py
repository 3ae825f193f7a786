"""Multiple-choice questions that answer back, with a kernel and without one.

Chapter 6 (common confusions) ends every section with a short :class:`Quiz`. Like the
explorers of :mod:`qkv_lib.widgets.core`, a question's display carries several views of
the same content, and each frontend picks the one it can show:

* ``application/vnd.jupyter.widget-view+json``: a live ipywidgets UI (JupyterLab,
  Notebook 7, VS Code): ``RadioButtons`` whose ``.observe`` writes the chosen option's
  feedback into an ``HTML`` line;
* ``text/html``: a self-contained twin for the kernel-free book: a ``<fieldset>`` of
  native radio buttons, a feedback line that is a polite live region, and a few lines of
  inline JS (no external scripts) that show each option's feedback on ``change``;
* ``text/plain``: the questions and lettered options, answer hidden (stable for nbval).

Without JavaScript the twin stays usable: after the feedback line, a collapsed
``<details>`` element holds the answer and every option's feedback. It is always present
rather than inside ``<noscript>``, because ``<noscript>`` only shows when the browser has
scripting switched off, whereas the usual failure is a page *with* JS whose inline script
is stripped (Jupyter's sanitiser for untrusted notebooks, GitHub and nbviewer previews,
learning platforms); ``<details>`` needs no script anywhere, is a native, keyboard- and
screen-reader-friendly disclosure, and stays closed until the reader asks for the answer.

Options and feedback are plain text: every string is escaped with ``html.escape`` (small
maths is best written in Unicode, √ or ᵀ, rather than LaTeX).
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import operator
from collections.abc import Sequence
from typing import Any

import ipywidgets

from .plotting import OKABE_ITO
from .widgets.core import mime_bundle

__all__ = ["Question", "QuestionWidget", "Quiz", "QuizWidget"]

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VERDICTS = ("Not quite.", "Correct.")  # indexed by is_correct
_COLOURS = (OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"])  # a bar beside the text
_uid_counter = itertools.count(1)  # ids stay unique on a page and identical across builds


# --- argument checks ----------------------------------------------------------------------


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str; got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


def _texts(name: str, values: object) -> tuple[str, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(
            f"{name} must be a sequence (list or tuple) of strings; got {type(values).__name__}"
        )
    return tuple(_text(f"{name}[{i}]", value) for i, value in enumerate(values))


def _index(name: str, value: object, n: int) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int index, not a bool; got {value!r}")
    try:
        index = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int index; got {type(value).__name__}") from None
    if not 0 <= index < n:
        raise ValueError(f"{name} must be an index between 0 and {n - 1}; got {index}")
    return index


# --- questions ----------------------------------------------------------------------------


class _Displayable:
    """The shared display of a question or a quiz: widget view, HTML twin and plain text."""

    _live: ipywidgets.Widget | None = None

    def widget(self) -> ipywidgets.Widget:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_html(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_text(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The live widget's view, the HTML twin and the plain text, always all three.

        The twin is small (a few kB), so unlike an explorer's it is sent on every run: the
        book shows it (its config ranks text/html above the widget view), JupyterLab shows
        the widget, and a viewer that has neither a kernel nor JS still gets the text.
        """
        if self._live is None:
            self._live = self.widget()
        extra = {"text/html": self.to_html(), "text/plain": self.to_text()}
        return mime_bundle(self._live, extra, include, exclude)


class Question(_Displayable):
    """One multiple-choice question with feedback for every option.

    ``Question(prompt, options, answer, feedback, *, explanation=None)``: ``options`` are
    the choices (at least two, all different), ``answer`` is the index of the right one,
    ``feedback[i]`` is what the reader sees after choosing option ``i``, and the optional
    ``explanation`` follows the feedback of the right answer. All text is plain text.
    """

    def __init__(
        self,
        prompt: str,
        options: Sequence[str],
        answer: int,
        feedback: Sequence[str],
        *,
        explanation: str | None = None,
    ) -> None:
        self.prompt = _text("prompt", prompt)
        self.options = _texts("options", options)
        n = len(self.options)
        if n < 2:
            raise ValueError(f"options needs at least two choices; got {n}")
        if n > len(_LETTERS):
            raise ValueError(f"options can have at most {len(_LETTERS)} choices; got {n}")
        if len(set(self.options)) != n:
            raise ValueError(f"options must all be different; got {list(self.options)}")
        self.answer = _index("answer", answer, n)
        self.feedback = _texts("feedback", feedback)
        if len(self.feedback) != n:
            raise ValueError(
                f"feedback needs one entry per option: got {len(self.feedback)} for {n} options"
            )
        self.explanation = None if explanation is None else _text("explanation", explanation)
        self._live = None

    def is_correct(self, choice: int) -> bool:
        """Whether option ``choice`` (an index) is the right answer."""
        return _index("choice", choice, len(self.options)) == self.answer

    def check(self, choice: int) -> str:
        """The feedback for option ``choice`` (an index), exactly as written."""
        return self.feedback[_index("choice", choice, len(self.options))]

    def verdict(self, choice: int) -> str:
        """Return "Correct." or "Not quite.": the first words the reader sees after choosing."""
        return _VERDICTS[self.is_correct(choice)]

    def message(self, choice: int) -> str:
        """The feedback line as plain text: the feedback, then the explanation if right."""
        text = self.check(choice)
        if self.is_correct(choice) and self.explanation:
            text = f"{text} {self.explanation}"
        return text

    def widget(self) -> QuestionWidget:
        """A new live ipywidgets UI for this question."""
        return QuestionWidget(self)

    def to_html(self) -> str:
        """The kernel-free HTML twin of this question alone."""
        return Quiz([self]).to_html()

    def to_text(self, number: int | None = None) -> str:
        """The question and its lettered options; the answer stays hidden."""
        head = f"{number}. {self.prompt}" if number is not None else self.prompt
        lines = [head]
        lines += [f"   {_LETTERS[i]}. {option}" for i, option in enumerate(self.options)]
        lines.append("   (answer hidden)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Question({self.prompt!r}, {len(self.options)} options)"


class Quiz(_Displayable):
    """Several questions shown one under another: ``Quiz(questions, title=None)``."""

    def __init__(self, questions: Sequence[Question], title: str | None = None) -> None:
        if isinstance(questions, Question):
            raise TypeError("questions must be a sequence of Question; wrap one in a list")
        if isinstance(questions, (str, bytes)) or not isinstance(questions, Sequence):
            raise TypeError(
                f"questions must be a sequence (list or tuple) of Question; "
                f"got {type(questions).__name__}"
            )
        for i, question in enumerate(questions):
            if not isinstance(question, Question):
                raise TypeError(f"questions[{i}] must be a Question; got {type(question).__name__}")
        if not questions:
            raise ValueError("questions needs at least one Question; got none")
        self.questions: tuple[Question, ...] = tuple(questions)
        self.title = None if title is None else _text("title", title)
        self._live = None

    def _number(self, k: int) -> int | None:
        """Questions are numbered only when there are several."""
        return k + 1 if len(self.questions) > 1 else None

    def widget(self) -> QuizWidget:
        """A new live ipywidgets UI: the title, then one QuestionWidget per question."""
        return QuizWidget(self)

    def to_text(self) -> str:
        """The title, then every question with its lettered options; answers hidden."""
        parts = [self.title] if self.title else []
        parts += [q.to_text(self._number(k)) for k, q in enumerate(self.questions)]
        return "\n\n".join(parts)

    def _uid(self) -> str:
        """A page-unique id: a hash of the questions plus a counter (same in every build)."""
        text = "\x1f".join("\x1e".join((q.prompt, *q.options, *q.feedback)) for q in self.questions)
        digest = hashlib.sha1(text.encode()).hexdigest()[:8]
        return f"qkv-quiz-{digest}-{next(_uid_counter)}"

    def to_html(self) -> str:
        """The kernel-free twin: native radio buttons, inline JS, and a no-JS answer."""
        uid = self._uid()
        data = {"questions": []}
        parts = [f'<div class="qkv-quiz" id="{uid}">']
        if self.title:
            title = html.escape(self.title)
            parts.append(f'<p class="qkv-quiz-title"><strong>{title}</strong></p>')
        parts.append(f'<form class="qkv-quiz-form" autocomplete="off" style="{_FORM_STYLE}">')
        for k, question in enumerate(self.questions):
            qid = f"{uid}-q{k}"
            parts.append(_question_html(question, qid, self._number(k)))
            choices = range(len(question.options))
            data["questions"].append(
                {
                    "id": qid,
                    "verdicts": [question.verdict(i) for i in choices],
                    "messages": [question.message(i) for i in choices],
                    "colours": [_COLOURS[question.is_correct(i)] for i in choices],
                }
            )
        parts.append("</form>")
        parts.append(
            f'<script type="application/json" id="{uid}-data">{_json_for_script(data)}</script>'
        )
        parts.append(f"<script>\n{_SCRIPT % {'uid': uid}}\n</script>")
        parts.append("</div>")
        return "\n".join(parts)

    def __repr__(self) -> str:
        title = f"{self.title!r}, " if self.title else ""
        return f"Quiz({title}{len(self.questions)} questions)"


# --- the live widget ----------------------------------------------------------------------


# ipywidgets gives every radio label one fixed line of height: let long options wrap.
_WIDGET_CSS = (
    "<style>.qkv-quiz-choice label{height:auto!important;line-height:1.4!important;"
    "padding:0.1em 0}</style>"
)


def _feedback_html(question: Question, choice: int | None) -> str:
    if choice is None:
        return ""
    colour = _COLOURS[question.is_correct(choice)]
    return (
        f'<p style="{_FEEDBACK_STYLE}border-left-color:{colour}">'
        f"<strong>{html.escape(question.verdict(choice))}</strong> "
        f"{html.escape(question.message(choice))}</p>"
    )


class QuestionWidget(ipywidgets.VBox):
    """The live UI of one question: the prompt, ``RadioButtons`` and an ``HTML`` feedback line.

    ``.choice`` is the RadioButtons (value: the chosen index, or None before any choice);
    ``.feedback`` is the HTML widget that ``.observe`` on the value keeps up to date.
    """

    def __init__(self, question: Question, number: int | None = None) -> None:
        if not isinstance(question, Question):
            raise TypeError(f"question must be a Question; got {type(question).__name__}")
        self.question = question
        head = f"{number}. " if number is not None else ""
        prompt = ipywidgets.HTML(
            f"{_WIDGET_CSS}<strong>{html.escape(head + question.prompt)}</strong>"
        )
        letters = [f"{_LETTERS[i]}. {option}" for i, option in enumerate(question.options)]
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
        self._feedback.value = _feedback_html(self.question, change["new"])


class QuizWidget(ipywidgets.VBox):
    """The live UI of a quiz: its title, then one :class:`QuestionWidget` per question."""

    def __init__(self, quiz: Quiz) -> None:
        self.quiz = quiz
        self.questions = [
            QuestionWidget(question, quiz._number(k)) for k, question in enumerate(quiz.questions)
        ]
        children: list[ipywidgets.Widget] = []
        if quiz.title:
            children.append(ipywidgets.HTML(f"<strong>{html.escape(quiz.title)}</strong>"))
        children.extend(self.questions)
        super().__init__(children=children)


# --- the HTML twin ------------------------------------------------------------------------


def _json_for_script(data: object) -> str:
    """JSON that is inert inside a <script> element: no <, > or & appears literally."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_FORM_STYLE = "margin:0.5em 0"
_FIELDSET_STYLE = "border:1px solid #bbb;border-radius:4px;margin:0 0 0.8em;padding:0.4em 0.9em"
# Themes restyle <legend> (Bootstrap: large, floated); keep it a plain bold line on the border.
_LEGEND_STYLE = "float:none;width:auto;font-size:1em;font-weight:600;padding:0 0.3em;margin:0"
_OPTION_STYLE = "display:flex;gap:0.5em;align-items:baseline;margin:0.25em 0"
_FEEDBACK_STYLE = "border-left:4px solid transparent;padding-left:0.6em;margin:0.4em 0;"

# Inline and dependency-free. Feedback is written with textContent, never innerHTML, so
# the (already plain-text) messages cannot inject markup; a choice the browser restored
# (back button, form autofill) shows its feedback at once.
_SCRIPT = """(function () {
  var data = JSON.parse(document.getElementById("%(uid)s-data").textContent);
  data.questions.forEach(function (q) {
    var box = document.getElementById(q.id);
    var out = document.getElementById(q.id + "-feedback");
    function show(input) {
      var i = Number(input.value), verdict = document.createElement("strong");
      verdict.textContent = q.verdicts[i];
      out.textContent = "";
      out.appendChild(verdict);
      out.appendChild(document.createTextNode(" " + q.messages[i]));
      out.style.borderLeftColor = q.colours[i];
      box.setAttribute("data-chosen", i);
    }
    box.addEventListener("change", function (event) { show(event.target); });
    var restored = box.querySelector("input:checked");
    if (restored) { show(restored); }
  });
})();"""


def _question_html(question: Question, qid: str, number: int | None) -> str:
    """One question as a fieldset; nothing in its markup tells the right option apart."""
    esc = html.escape
    head = f"{number}. " if number is not None else ""
    parts = [
        f'<fieldset class="qkv-quiz-question" id="{qid}" style="{_FIELDSET_STYLE}">',
        f'<legend style="{_LEGEND_STYLE}">{esc(head + question.prompt)}</legend>',
    ]
    for i, option in enumerate(question.options):
        oid = f"{qid}-o{i}"
        parts.append(
            f'<div class="qkv-quiz-option" style="{_OPTION_STYLE}">'
            f'<input type="radio" id="{oid}" name="{qid}" value="{i}">'
            f'<label for="{oid}">{_LETTERS[i]}. {esc(option)}</label></div>'
        )
    parts.append(
        f'<p class="qkv-quiz-feedback" id="{qid}-feedback" aria-live="polite" '
        f'style="{_FEEDBACK_STYLE}"></p>'
    )
    letter = _LETTERS[question.answer]
    answer = [
        '<details class="qkv-quiz-answer"><summary>Show the answer</summary>',
        f"<p><strong>Answer: {letter}.</strong> {esc(question.options[question.answer])}</p>",
        "<ul>",
        *(
            f"<li><strong>{_LETTERS[i]}. {esc(question.verdict(i))}</strong> {esc(text)}</li>"
            for i, text in enumerate(question.feedback)
        ),
        "</ul>",
    ]
    if question.explanation:
        answer.append(f"<p>{esc(question.explanation)}</p>")
    answer.append("</details>")
    parts.append("".join(answer))
    parts.append("</fieldset>")
    return "\n".join(parts)
