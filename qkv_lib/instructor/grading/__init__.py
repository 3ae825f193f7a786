"""``qkv-course grade``: a folder of submitted notebooks into a CSV gradebook.

Each notebook runs in a child process of its own; the verdicts are reached outside it, so a
notebook that patches the checker earns nothing, and a notebook that hangs, crashes or floods
its output costs only its own row. The pieces, in the order a run uses them:

* :mod:`~.submissions`  which notebooks, whose, which chapter; ``corrupt``, ``wrong-chapter``
* :mod:`~.execute`      one submission: scratch folder, inputs, status, verdicts
* :mod:`~.child`        the child process started, watched, and its process group killed
* :mod:`~.runner`       the child: runs the cells in IPython, then observes each exercise
* :mod:`~.guards`       the child's bounds: output cap, alarm, file and CPU limits
* :mod:`~.judge`        the verdict on each exercise, from the child's recorded data
* :mod:`~.gradebook`    the CSV, a row on disk as soon as it is graded; ``--resume``
* :mod:`~.summary`      the table printed at the end, and the progress line
* :mod:`~.feedback`     one HTML page per submission
* :mod:`~.batch`        :func:`grade`, tying these together; ``--jobs``, Ctrl-C
* :mod:`~.outcome`, :mod:`~.limits`  the results' shape, and every limit in one place

Grading runs learners' code: the child process isolates the grade, not the machine. Grade in
a throwaway environment or container.
"""

from __future__ import annotations

from .batch import grade
from .summary import Summary

__all__ = ["Summary", "grade"]
