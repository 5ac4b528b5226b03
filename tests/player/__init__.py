"""Tests of broadcaster/player/: sinks, the daemon, the as-run log, GPS routes, the player commands."""
