"""The instructor's kit behind the ``qkv-course`` command: catalogue, student copies, grading.

* :mod:`~qkv_lib.instructor.cli`        the ``qkv-course`` command (also ``python -m qkv_lib``)
* :mod:`~qkv_lib.instructor.catalogue`  ``qkv-course exercises``: the exercise catalogue
* :mod:`~qkv_lib.instructor.chapters`   reading the chapter notebooks: chapters, exercise cells
* :mod:`~qkv_lib.instructor.solutions`  what counts as an answer: solution regions and blocks
* :mod:`~qkv_lib.instructor.student`    ``qkv-course student``: learners' copies
* :mod:`~qkv_lib.instructor.leaks`      the leak guard every copy passes before it is written
* :mod:`~qkv_lib.instructor.grading`    ``qkv-course grade``: submissions into a gradebook
* :mod:`~qkv_lib.instructor.tables`     the generated tables of the book's page for instructors
* :mod:`~qkv_lib.instructor.errors`     ``UsageError``, reported in one line with exit status 2

The answer key is the chapters themselves (``# BEGIN SOLUTION`` / ``# END SOLUTION`` in each
exercise cell, ``{solution}`` blocks in the prose); the README and the book's page "For
instructors" explain the workflow. Nothing here imports the UI (an import contract says so).
"""
