"""Speech engines behind one interface, found by name in a registry."""
from __future__ import annotations

from broadcaster.engines.base import Clip, Engine, available_engines, get_engine, engine_names

__all__ = ["Clip", "Engine", "available_engines", "get_engine", "engine_names"]
