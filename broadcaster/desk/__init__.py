"""The web desk: `broadcaster serve`."""
