"""Multiple-choice questions that answer back, with a kernel and without one (chapter 6).

Chapter 6 (common confusions) ends every section with ``qkv.quiz.Quiz([qkv.quiz.Question(
...), ...])``. Like an explorer, a question's display carries several views of the same
content, and each frontend picks the one it can show:

* :mod:`qkv_lib.quiz.model`   ``Question`` and ``Quiz``: checked arguments, answers, feedback,
  and the ``text/plain`` view (the questions and lettered options, answer hidden);
* :mod:`qkv_lib.quiz.widget`  the live ipywidgets UI (``application/vnd.jupyter.widget-view+json``)
  for JupyterLab, Notebook 7 and VS Code;
* :mod:`qkv_lib.quiz.twin`    the self-contained ``text/html`` twin for the kernel-free book.

The quizzes share the frontend helpers of :mod:`qkv_lib._frontend` with the explorers, but
do not import :mod:`qkv_lib.widgets`.
"""

from .model import Question, Quiz

__all__ = ["Question", "Quiz"]
