"""Tests of notice.py: notices and jingles loaded from YAML, every mistake at its line."""
