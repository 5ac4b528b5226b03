"""Chinese text -> an ASCII name in pinyin (停水通知 -> tingshui-tongzhi): ids and file names.

A notice without `id:` gets one from its title or its file name, and the id names its audio
files and card tracks, which must stay ASCII (loop players, FAT short names, URLs, commands).
The syllables of one word are joined and words are joined by `-`, so the name still reads as
the words it came from. Words are cut by the same jieba instance as the lexicon; readings are
pypinyin's, without tones. The same text gives the same name for the same pypinyin and jieba
(an id that must never change is written as `id:`).
"""
from __future__ import annotations

import re
import unicodedata

from broadcaster.vocabulary import HAN
from broadcaster.speech.lexicon import is_word, segments

MAX_NAME = 40  # characters: a name goes into 001_<name>.mp3 on a card and into paths on Windows
LONG_WORD = 4  # jieba keeps set phrases such as 停水通知 whole; names read better cut into 停水 / 通知
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def ascii_name(text: str, limit: int = MAX_NAME) -> str:
    """`text` as a name of a-z, 0-9 and `-` (the id rule without `_`), at most `limit` characters,
    cut between words; '' when nothing in it can be written so (punctuation, emoji only)."""
    from pypinyin import lazy_pinyin

    text = unicodedata.normalize("NFKC", str(text))  # full-width Ｈ７ -> H7
    words: list[str] = []
    for word in _words(text) if HAN.search(text) else [text]:
        if HAN.search(word):
            # each syllable on its own: a character pypinyin cannot read is dropped, not kept as is
            word = "".join(s for s in lazy_pinyin(word, errors="ignore") if s.isascii())
        words += [w for w in _NOT_NAME.split(word.lower()) if w]
    name = ""
    for word in words:
        joined = f"{name}-{word}" if name else word
        if len(joined) > limit:
            return name or word[:limit]  # a first word longer than the limit is cut inside
        name = joined
    return name


def _words(text: str) -> list[str]:
    """jieba's words, each of LONG_WORD characters or more cut again into the dictionary words it
    starts with, longest first (停水通知 -> 停水 通知, 养老保险 -> 养老 保险)."""
    out: list[str] = []
    for word in segments(text):
        while len(word) >= LONG_WORD and HAN.fullmatch(word[0]):
            head = next((word[:n] for n in range(len(word) - 1, 1, -1) if is_word(word[:n])), "")
            if not head:
                break
            out.append(head)
            word = word[len(head):]
        out.append(word)
    return out
