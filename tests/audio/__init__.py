"""Tests of broadcaster/audio/: chimes, programs, mastering, output profiles, measured from the audio."""
