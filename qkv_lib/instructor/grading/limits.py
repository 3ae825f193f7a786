"""The grader's limits in one place: time, output and file sizes (``qkv-course grade``).

Shared by the parent (:mod:`.execute`, :mod:`.judge`) and the child (:mod:`.runner`); imports
nothing, so the child can read it before any learner code runs.
"""

from __future__ import annotations

#: Printed output the child keeps per stream (``print``, tracebacks); the rest is dropped.
OUTPUT_KEEP = 1_000_000
#: Bytes on the child's stdout or stderr files after which the parent kills it (``os.write(1)``).
OUTPUT_KILL = 20_000_000
#: No file the child writes may grow past this (``RLIMIT_FSIZE``; the kernel stops it).
FILE_LIMIT = 60_000_000
#: An observation file larger than this is not loaded: ``unreadable-output``.
OBSERVATION_MAX = 50_000_000
#: A small JSON file the child writes (``done.json``, a skipped exercise) is read up to this.
NOTE_MAX = 65_536
#: A notebook larger than this is not read: ``corrupt``.
NOTEBOOK_MAX = 100_000_000
#: Seconds the child may spend calling one exercise's function after the cells ran.
HARVEST_SECONDS = 10.0
#: Seconds of the ``--timeout`` kept back from the cells for harvesting: a quarter of it, at
#: least 6 s (calling the functions on a loaded machine) and at most 30 s.
RESERVE_FRACTION, RESERVE_MIN, RESERVE_MAX = 0.25, 6.0, 30.0
#: How often the parent looks at the child (seconds).
POLL_SECONDS = 0.1


def cell_budget(timeout: float) -> float:
    """Seconds the child's cells may run within a submission's ``timeout``."""
    reserve = min(RESERVE_MAX, max(RESERVE_MIN, RESERVE_FRACTION * timeout))
    return max(timeout - reserve, 0.5 * timeout)
