"""The kernel-free HTML twin of a quiz (chapter 6), and the feedback line it shares with the widget.

The twin is what the built book shows: a ``<fieldset>`` of native radio buttons per
question, a feedback line that is a polite live region, and a few lines of inline JS (no
external scripts) that show each option's feedback on ``change``.

Without JavaScript the twin stays usable: after the feedback line, a collapsed
``<details>`` element holds the answer and every option's feedback. It is always present
rather than inside ``<noscript>``, because ``<noscript>`` only shows when the browser has
scripting switched off, whereas the usual failure is a page *with* JS whose inline script
is stripped (Jupyter's sanitiser for untrusted notebooks, GitHub and nbviewer previews,
learning platforms); ``<details>`` needs no script anywhere, is a native, keyboard- and
screen-reader-friendly disclosure, and stays closed until the reader asks for the answer.

Every string is plain text and escaped with ``html.escape``. The functions take a
:class:`~qkv_lib.quiz.model.Question` or ``Quiz`` (which import this module, so it cannot
import them back).
"""

from __future__ import annotations

import hashlib
import html
import itertools
from typing import Any

from .._frontend import json_for_script
from ..plotting import OKABE_ITO

__all__ = ["COLOURS", "FEEDBACK_STYLE", "feedback_html", "quiz_html"]

#: The bar beside the feedback, indexed by is_correct: vermillion, or bluish green if right.
COLOURS = (OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"])
FEEDBACK_STYLE = "border-left:4px solid transparent;padding-left:0.6em;margin:0.4em 0;"
_uid_counter = itertools.count(1)  # ids stay unique on a page and identical across builds

_FORM_STYLE = "margin:0.5em 0"
_FIELDSET_STYLE = "border:1px solid #bbb;border-radius:4px;margin:0 0 0.8em;padding:0.4em 0.9em"
# Themes restyle <legend> (Bootstrap: large, floated); keep it a plain bold line on the border.
_LEGEND_STYLE = "float:none;width:auto;font-size:1em;font-weight:600;padding:0 0.3em;margin:0"
_OPTION_STYLE = "display:flex;gap:0.5em;align-items:baseline;margin:0.25em 0"

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


def feedback_html(question: Any, choice: int | None) -> str:
    """The feedback line after choosing option ``choice`` (None: nothing chosen yet)."""
    if choice is None:
        return ""
    colour = COLOURS[question.is_correct(choice)]
    return (
        f'<p style="{FEEDBACK_STYLE}border-left-color:{colour}">'
        f"<strong>{html.escape(question.verdict(choice))}</strong> "
        f"{html.escape(question.message(choice))}</p>"
    )


def _uid(questions: Any) -> str:
    """A page-unique id: a hash of the questions plus a counter (same in every build)."""
    text = "\x1f".join("\x1e".join((q.prompt, *q.options, *q.feedback)) for q in questions)
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return f"qkv-quiz-{digest}-{next(_uid_counter)}"


def quiz_html(quiz: Any) -> str:
    """The twin of a quiz: its title, then one fieldset per question, the data and the JS."""
    uid = _uid(quiz.questions)
    data: dict[str, list] = {"questions": []}
    parts = [f'<div class="qkv-quiz" id="{uid}">']
    if quiz.title:
        title = html.escape(quiz.title)
        parts.append(f'<p class="qkv-quiz-title"><strong>{title}</strong></p>')
    parts.append(f'<form class="qkv-quiz-form" autocomplete="off" style="{_FORM_STYLE}">')
    for k, question in enumerate(quiz.questions):
        qid = f"{uid}-q{k}"
        parts.append(_question_html(question, qid, quiz.number(k)))
        choices = range(len(question.options))
        data["questions"].append(
            {
                "id": qid,
                "verdicts": [question.verdict(i) for i in choices],
                "messages": [question.message(i) for i in choices],
                "colours": [COLOURS[question.is_correct(i)] for i in choices],
            }
        )
    parts.append("</form>")
    parts.append(
        f'<script type="application/json" id="{uid}-data">{json_for_script(data)}</script>'
    )
    parts.append(f"<script>\n{_SCRIPT % {'uid': uid}}\n</script>")
    parts.append("</div>")
    return "\n".join(parts)


def _question_html(question: Any, qid: str, number: int | None) -> str:
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
            f'<label for="{oid}">{question.letter(i)}. {esc(option)}</label></div>'
        )
    parts.append(
        f'<p class="qkv-quiz-feedback" id="{qid}-feedback" aria-live="polite" '
        f'style="{FEEDBACK_STYLE}"></p>'
    )
    right, letter = question.answer, question.letter
    answer = [
        '<details class="qkv-quiz-answer"><summary>Show the answer</summary>',
        f"<p><strong>Answer: {letter(right)}.</strong> {esc(question.options[right])}</p>",
        "<ul>",
        *(
            f"<li><strong>{letter(i)}. {esc(question.verdict(i))}</strong> {esc(text)}</li>"
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
