"""``python -m qkv_lib``: the same as the ``qkv-course`` command (see qkv_lib.instructor.cli)."""

import sys

from .instructor.cli import main

sys.exit(main())
