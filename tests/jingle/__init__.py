"""Tests of broadcaster/jingle/: rhyme, forms, the bank, the composer, the jingle commands."""
