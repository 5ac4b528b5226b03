"""The edge stand-in's fixtures (tests/edge_standin.py) for every engine test: `standin` starts a local edge
service the engine points at, `edge_env` keeps deadlines and retries short."""
from __future__ import annotations

from tests.edge_standin import edge_env, standin  # noqa: F401  (fixtures, found by name)
