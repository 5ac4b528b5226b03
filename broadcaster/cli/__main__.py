"""`python -m broadcaster.cli` runs the command line (the tests spawn it so)."""
from __future__ import annotations

import sys

from broadcaster.cli import main

sys.exit(main())
