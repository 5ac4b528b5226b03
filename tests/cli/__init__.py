"""Tests of broadcaster/cli/: the command line itself."""
