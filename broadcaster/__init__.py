"""broadcaster: village notices and jingles in YAML to loudspeaker-ready speech audio."""
from __future__ import annotations

__version__ = "0.1.0"
