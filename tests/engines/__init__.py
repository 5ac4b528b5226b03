"""Tests of broadcaster/engines/: each engine, the clip cache, the choice of engine and its fallbacks."""
