"""Spoken text: normalization, pronunciation fixes, dialect words and voice profiles."""
from broadcaster.speech.pronounce import pinyin_for

__all__ = ["pinyin_for"]
