"""Spoken text: normalization, pronunciation fixes, dialect words and voice profiles."""
