"""On air: sinks that play audio, the playback daemon, and the as-run log (播出记录)."""
