"""`python -m broadcaster` runs the command line."""
from __future__ import annotations

import sys

from broadcaster.cli import main

sys.exit(main())
