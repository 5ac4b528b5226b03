"""Tests of card.py: export-card for loop players."""
