"""Tests of render.py: notices to audio files, transcripts and manifests, written safely."""
