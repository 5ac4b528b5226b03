"""Tests of verify.py and listen.py: proof-listening with the offline listener."""
