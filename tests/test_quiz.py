"""Tests for qkv_lib.quiz: validation, feedback, the live widget and the kernel-free HTML twin."""

from __future__ import annotations

import html.parser
import itertools
import json
import re

import ipywidgets
import pytest

from qkv_lib.quiz import Question, Quiz
from qkv_lib.quiz import twin as quiz_twin

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def heads() -> Question:
    return Question(
        "How many parameters do the projections gain with more heads?",
        ["None", "H times as many", "H − 1 more matrices"],
        0,
        ["Right: heads split E.", "No: Dh shrinks as H grows.", "No: no new matrices."],
        explanation="Dh = E / H.",
    )


def masks() -> Question:
    return Question(
        "What does True mean in an SDPA mask?",
        ["may attend", "may not attend"],
        0,
        ["Yes.", "That is nn.MultiheadAttention's convention."],
    )


class Twin(html.parser.HTMLParser):
    """Tags (with their enclosing elements), text per element id, and script bodies."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None], tuple[str, ...]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs, tuple(t for t, _ in self._open)))
        if tag not in ("input", "br", "img", "meta"):
            self._open.append((tag, attrs.get("id")))
            if tag == "script":
                self.scripts.append((attrs, ""))

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._open and self._open[-1][0] == "script":
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)
        for _, element_id in self._open:
            if element_id:
                self.text[element_id] = self.text.get(element_id, "") + data

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a, _ in self.tags if t == tag]

    @property
    def ids(self) -> list[str]:
        return [a["id"] for _, a, _ in self.tags if a.get("id")]

    def data(self) -> dict:
        (body,) = [b for a, b in self.scripts if a.get("type") == "application/json"]
        return json.loads(body)


def parse(page: str) -> Twin:
    twin = Twin()
    twin.feed(page)
    twin.close()
    return twin


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"prompt": 3}, TypeError, ["prompt", "str"]),
        ({"prompt": "  "}, ValueError, ["prompt", "empty"]),
        ({"options": "ab"}, TypeError, ["options", "sequence"]),
        ({"options": ["only"], "feedback": ["f"]}, ValueError, ["options", "at least two"]),
        ({"options": ["a", "a"]}, ValueError, ["options", "different"]),
        ({"options": ["a", 2]}, TypeError, ["options[1]", "str"]),
        ({"answer": 2}, ValueError, ["answer", "between 0 and 1", "2"]),
        ({"answer": -1}, ValueError, ["answer", "between 0 and 1"]),
        ({"answer": True}, TypeError, ["answer", "bool"]),
        ({"answer": 1.0}, TypeError, ["answer", "int"]),
        ({"feedback": ["only one"]}, ValueError, ["feedback", "one entry per option", "1", "2"]),
        ({"feedback": None}, TypeError, ["feedback", "sequence"]),
        ({"explanation": ""}, ValueError, ["explanation", "empty"]),
        ({"explanation": 1}, TypeError, ["explanation", "str"]),
    ],
)
def test_question_rejects_bad_arguments(kwargs, error, words):
    arguments = {"prompt": "p", "options": ["a", "b"], "answer": 0, "feedback": ["x", "y"]}
    arguments.update(kwargs)
    with pytest.raises(error) as excinfo:
        Question(**arguments)
    for word in words:
        assert word in str(excinfo.value)


@pytest.mark.parametrize(
    ("questions", "error", "words"),
    [
        ([], ValueError, ["at least one"]),
        (masks(), TypeError, ["sequence", "list"]),
        ([masks(), "not a question"], TypeError, ["questions[1]", "Question"]),
        ("text", TypeError, ["sequence"]),
    ],
)
def test_quiz_rejects_bad_arguments(questions, error, words):
    with pytest.raises(error) as excinfo:
        Quiz(questions)
    for word in words:
        assert word in str(excinfo.value)


def test_quiz_title_must_be_text():
    with pytest.raises(TypeError, match="title"):
        Quiz([masks()], title=5)


# --- feedback -----------------------------------------------------------------------------


def test_check_returns_each_options_feedback():
    q = heads()
    assert [q.check(i) for i in range(3)] == list(q.feedback)
    assert q.is_correct(0) and not q.is_correct(2)
    assert q.verdict(0) == "Correct." and q.verdict(1) == "Not quite."
    assert q.message(0) == "Right: heads split E. Dh = E / H."  # explanation after the answer
    assert q.message(1) == "No: Dh shrinks as H grows."
    with pytest.raises(ValueError, match="choice"):
        q.check(3)
    with pytest.raises(TypeError, match="choice"):
        q.check("A")


def test_letters_and_numbers_name_options_and_questions():
    q = heads()
    assert [q.letter(i) for i in range(3)] == ["A", "B", "C"]
    with pytest.raises(ValueError, match="choice"):
        q.letter(3)
    assert [Quiz([heads(), masks()]).number(k) for k in range(2)] == [1, 2]
    assert Quiz([heads()]).number(0) is None  # a single question is not numbered


# --- live widget --------------------------------------------------------------------------


def test_live_widget_updates_its_feedback():
    w = heads().widget()
    assert isinstance(w.choice, ipywidgets.RadioButtons)
    assert isinstance(w.feedback, ipywidgets.HTML)
    assert [value for _, value in w.choice.options] == [0, 1, 2]
    assert w.choice.value is None and w.feedback.value == ""  # nothing chosen yet
    w.choice.value = 1
    assert "Not quite." in w.feedback.value and "Dh shrinks" in w.feedback.value
    w.choice.value = 0
    assert "Correct." in w.feedback.value and "Dh = E / H." in w.feedback.value
    no_output = [c for c in w.children if isinstance(c, ipywidgets.Output)]
    assert not no_output


def test_live_widget_escapes_feedback_html():
    q = Question("p", ["a", "b"], 0, ["<b>x</b>", "y & z"])
    w = q.widget()
    w.choice.value = 0
    assert "&lt;b&gt;x&lt;/b&gt;" in w.feedback.value and "<b>x" not in w.feedback.value
    w.choice.value = 1
    assert "y &amp; z" in w.feedback.value


def test_live_quiz_widget_has_one_question_widget_each():
    w = Quiz([heads(), masks()], title="Check").widget()
    assert len(w.questions) == 2
    w.questions[1].choice.value = 1
    assert "convention" in w.questions[1].feedback.value
    assert w.questions[0].feedback.value == ""  # the other question is untouched


# --- mimebundle and text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "n_questions"),
    [(heads, 1), (lambda: Quiz([heads(), masks()], title="Check"), 2)],
    ids=["Question", "Quiz"],
)
def test_display_contract(monkeypatch, make, n_questions):
    """A Question and a Quiz display alike: widget view, HTML twin and text, whatever the mode."""
    monkeypatch.setenv("QKV_EXPLORER_MODE", "live")  # the twin is small: sent even when live
    shown = make()
    bundle = shown._repr_mimebundle_()
    assert list(bundle) == [WIDGET_VIEW, "text/html", "text/plain"]
    assert bundle[WIDGET_VIEW]["model_id"]
    assert shown._repr_mimebundle_()[WIDGET_VIEW] == bundle[WIDGET_VIEW]  # one shared widget
    assert bundle["text/plain"] == shown.to_text() and "(answer hidden)" in bundle["text/plain"]
    twin = parse(bundle["text/html"])
    assert len(twin.find("fieldset")) == len(twin.data()["questions"]) == n_questions
    assert len(twin.ids) == len(set(twin.ids))
    assert isinstance(shown.widget(), ipywidgets.VBox)
    only_text = make()._repr_mimebundle_(include={"text/plain"})
    assert set(only_text) == {"text/plain"}
    assert WIDGET_VIEW not in make()._repr_mimebundle_(exclude={WIDGET_VIEW})


def test_text_plain_is_stable_and_hides_the_answer():
    quiz_ = Quiz([heads(), masks()], title="Check")
    first = quiz_._repr_mimebundle_()["text/plain"]
    second = Quiz([heads(), masks()], title="Check")._repr_mimebundle_()["text/plain"]
    assert first == second
    assert first == (
        "Check\n\n"
        "1. How many parameters do the projections gain with more heads?\n"
        "   A. None\n   B. H times as many\n   C. H − 1 more matrices\n   (answer hidden)\n\n"
        "2. What does True mean in an SDPA mask?\n"
        "   A. may attend\n   B. may not attend\n   (answer hidden)"
    )
    assert "Right" not in first and "Yes." not in first


# --- HTML twin ----------------------------------------------------------------------------


def test_twin_structure():
    twin = parse(Quiz([heads(), masks()], title="Check").to_html())
    fieldsets = twin.find("fieldset")
    assert len(fieldsets) == 2
    assert len(twin.find("legend")) == 2
    radios = twin.find("input")
    assert [r["type"] for r in radios] == ["radio"] * 5  # one per option
    assert [r["name"] for r in radios] == [fieldsets[0]["id"]] * 3 + [fieldsets[1]["id"]] * 2
    labels = {a["for"] for a in twin.find("label")}
    assert labels == {r["id"] for r in radios}  # every radio has its label
    feedback = [p for p in twin.find("p") if p.get("class") == "qkv-quiz-feedback"]
    assert [p["aria-live"] for p in feedback] == ["polite", "polite"]
    assert len(twin.ids) == len(set(twin.ids))
    assert len(twin.find("details")) == 2 and len(twin.find("summary")) == 2
    sources = [a for a, _ in twin.scripts if a.get("src")]
    assert not sources  # nothing external


def test_twin_data_holds_every_options_feedback():
    q = heads()
    twin = parse(q.to_html())
    (entry,) = twin.data()["questions"]
    assert entry["messages"] == [q.message(i) for i in range(3)]
    assert entry["verdicts"] == ["Correct.", "Not quite.", "Not quite."]
    assert entry["id"] == twin.find("fieldset")[0]["id"]
    assert f"{entry['id']}-feedback" in twin.ids


def test_twin_markup_does_not_give_the_answer_away():
    """Apart from the JS data and the closed <details>, the right option looks like the rest."""
    for answer in range(3):
        q = Question("p", ["a", "b", "c"], answer, ["f0", "f1", "f2"])
        twin = parse(q.to_html())
        shapes = set()
        for tag, attrs, parents in twin.tags:
            if tag in ("input", "label", "div") and "details" not in parents:
                shape = {k: re.sub(r"\d+$", "#", v or "") for k, v in attrs.items()}
                shape.pop("id", None), shape.pop("for", None), shape.pop("value", None)
                shapes.add((tag, tuple(sorted(shape.items()))))
            assert "checked" not in attrs
            assert not any("correct" in (k + (v or "")).lower() for k, v in attrs.items())
        # the same markup whatever the answer: three radios and three labels alike
        assert len([s for s in shapes if s[0] == "input"]) == 1
        assert len([s for s in shapes if s[0] == "label"]) == 1
        page = q.to_html()
        details = re.findall(r"<details.*?</details>", page, flags=re.S)
        assert len(details) == 1 and f"Answer: {'ABC'[answer]}." in details[0]
        visible = re.sub(r"<details.*?</details>|<script.*?</script>", "", page, flags=re.S)
        assert "Answer" not in visible and "Correct" not in visible and "f0" not in visible


def test_twin_escapes_html_everywhere():
    q = Question(
        "Is <script>alert(1)</script> a prompt?",
        ["<b>bold</b>", "a & b"],
        1,
        ['say "hi"', "</script><script>alert(2)</script>"],
        explanation="x < y",
    )
    page = q.to_html()
    markup = re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)
    assert "<script>alert" not in markup and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &amp; b" in page and "x &lt; y" in page
    twin = parse(page)
    assert twin.find("legend") and len(twin.scripts) == 2  # the data and the code, nothing else
    assert twin.data()["questions"][0]["messages"][1].startswith("</script><script>alert(2)")


def test_twin_ids_are_unique_and_deterministic(monkeypatch):
    monkeypatch.setattr(quiz_twin, "_uid_counter", itertools.count(1))
    first = [Quiz([heads()]).to_html(), Quiz([heads()]).to_html()]
    a, b = (set(parse(page).ids) for page in first)
    assert a and b and not a & b  # the same questions twice on a page: no shared id
    monkeypatch.setattr(quiz_twin, "_uid_counter", itertools.count(1))
    again = [Quiz([heads()]).to_html(), Quiz([heads()]).to_html()]
    assert again == first  # a fresh kernel (the next build) writes the same page
    other = parse(Quiz([masks()]).to_html()).ids[0]
    assert other.split("-")[2] != parse(first[0]).ids[0].split("-")[2]  # hash of the question


# --- in a real browser --------------------------------------------------------------------

_PROBE = """<pre id="probe">pending</pre><script>
(function () {
  var boxes = document.querySelectorAll(".qkv-quiz fieldset");
  var out = {before: document.getElementById(boxes[0].id + "-feedback").textContent};
  boxes[0].querySelectorAll("input[type=radio]")[1].click();
  out.wrong = document.getElementById(boxes[0].id + "-feedback").textContent;
  out.colourWrong = document.getElementById(boxes[0].id + "-feedback").style.borderLeftColor;
  boxes[0].querySelectorAll("input[type=radio]")[0].click();
  out.right = document.getElementById(boxes[0].id + "-feedback").textContent;
  out.other = document.getElementById(boxes[1].id + "-feedback").textContent;
  out.detailsOpen = boxes[0].querySelector("details").open;
  document.getElementById("probe").textContent = JSON.stringify(out);
})();
</script>"""


def test_twin_in_a_real_browser(browser_probe):
    """Clicking an option in Chromium writes that option's feedback; nothing else changes."""
    twin = Quiz([heads(), masks()], title="Check").to_html()
    out = browser_probe(f"{twin}{_PROBE}")
    assert out["before"] == ""
    assert out["wrong"] == "Not quite. No: Dh shrinks as H grows."
    assert out["colourWrong"] == "rgb(213, 94, 0)"  # Okabe-Ito vermillion
    assert out["right"] == "Correct. Right: heads split E. Dh = E / H."
    assert out["other"] == ""
    assert out["detailsOpen"] is False
