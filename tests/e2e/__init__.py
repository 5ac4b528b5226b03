"""End-to-end suites that cross packages in real processes: the smoke test, the Chinese guide, the desk in a browser and beside a real player."""
