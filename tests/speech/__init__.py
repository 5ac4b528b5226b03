"""Tests of broadcaster/speech/: normalization, pinyin front end, lexicons, voice profiles."""
