"""Character classes of written Chinese: digits, and punctuation by what it does (Han characters: vocabulary.HAN)."""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import yaml

from broadcaster.resources import data_path

DIGIT_RUN = re.compile(r"[0-9０-９]+")  # ASCII and full-width digits
PUNCTUATION = data_path("speech", "punctuation.yaml")


@lru_cache(maxsize=1)
def _punctuation() -> dict[str, str]:
    return {str(k): str(v) for k, v in yaml.safe_load(PUNCTUATION.read_text(encoding="utf-8")).items()}


@lru_cache(maxsize=None)
def marks(*classes: str) -> str:
    """The marks of the named punctuation classes (data/punctuation.yaml), as one string."""
    table = _punctuation()
    return "".join(table[name] for name in classes)


def mark_class(*classes: str) -> str:
    """The marks of the named classes as the inside of a regular expression's [...]."""
    return re.escape(marks(*classes))


@lru_cache(maxsize=1)
def punctuation_digest() -> str:
    """Changes when the punctuation classes change (engines that cut text by them key their clips on it)."""
    return hashlib.sha256(PUNCTUATION.read_bytes()).hexdigest()[:8]
