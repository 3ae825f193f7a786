"""The instructor's kit behind the ``qkv-course`` command: catalogue, student copies, grading.

* :mod:`~qkv_lib.instructor.cli`       the ``qkv-course`` command (also ``python -m qkv_lib``)
* :mod:`~qkv_lib.instructor.chapters`  reading the chapter notebooks: chapters, exercise cells
* :mod:`~qkv_lib.instructor.student`   learners' copies without solutions, and the leak guard
* :mod:`~qkv_lib.instructor.grading`   a folder of submissions into a gradebook

The answer key is the chapters themselves (``# BEGIN SOLUTION`` / ``# END SOLUTION`` in each
exercise cell, ``{solution}`` blocks in the prose); the README's "For instructors" section and
the book's page of the same name explain the workflow. Nothing here imports the UI.
"""
