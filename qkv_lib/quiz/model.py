"""Questions and quizzes: what they say, which answer is right, and the feedback for each option.

Chapter 6 (common confusions) ends every section with a short :class:`Quiz` of
:class:`Question`. This module checks the arguments and answers questions about them; how
they look is elsewhere: the live ipywidgets UI in :mod:`.widget`, the kernel-free HTML in
:mod:`.twin`. Displaying a question or quiz sends both, plus plain text (answers hidden).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from .._frontend import mime_bundle
from .twin import quiz_html
from .widget import QuestionWidget, QuizWidget

__all__ = ["Question", "Quiz"]

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VERDICTS = ("Not quite.", "Correct.")  # indexed by is_correct


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

    _live: Any = None  # the widget shown by _repr_mimebundle_, made on first display

    def widget(self) -> Any:  # pragma: no cover - overridden
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
    ``explanation`` follows the feedback of the right answer. All text is plain text (small
    maths is best written in Unicode, √ or ᵀ, rather than LaTeX): every view escapes it.
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

    def letter(self, choice: int) -> str:
        """The letter that names option ``choice`` (an index): "A", "B", ..."""
        return _LETTERS[_index("choice", choice, len(self.options))]

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
        lines += [f"   {self.letter(i)}. {option}" for i, option in enumerate(self.options)]
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

    def number(self, k: int) -> int | None:
        """The number shown before question ``k``: ``k + 1``, or None if it is the only one."""
        return k + 1 if len(self.questions) > 1 else None

    def widget(self) -> QuizWidget:
        """A new live ipywidgets UI: the title, then one QuestionWidget per question."""
        return QuizWidget(self)

    def to_html(self) -> str:
        """The kernel-free twin: native radio buttons, inline JS, and a no-JS answer."""
        return quiz_html(self)

    def to_text(self) -> str:
        """The title, then every question with its lettered options; answers hidden."""
        parts = [self.title] if self.title else []
        parts += [q.to_text(self.number(k)) for k, q in enumerate(self.questions)]
        return "\n\n".join(parts)

    def __repr__(self) -> str:
        title = f"{self.title!r}, " if self.title else ""
        return f"Quiz({title}{len(self.questions)} questions)"
