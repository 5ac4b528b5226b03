"""Text -> syllables (character, TONE3 pinyin, initial, final, 儿化) for rhyme analysis.

The readings are the speech stage's (`speech.pronounce.pinyin_for`: dictionary tones in context,
with the package's pronunciation fixes), so a jingle rhymes the way it will be read out.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from broadcaster.vocabulary import HAN_RUN
from broadcaster.speech.pinyin import frontend_data
from broadcaster.speech.pronounce import pinyin_for

_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Syllable:
    """One spoken syllable: its written characters and how it is read."""

    text: str        # the character, or character + 儿 for 儿化
    pinyin: str      # TONE3 with 5 for the neutral tone, e.g. liao3; 儿化 adds r: huar1
    initial: str     # b p m f ... zh ch sh r z c s, or '' for zero initial
    final: str       # pypinyin strict final: ao, iao, v, ve, uei ...; '' when none (嗯, digits)
    tone: int        # 1-4, 5 neutral, 0 unknown
    erhua: bool = False

    @property
    def han(self) -> bool:
        return bool(HAN_RUN.fullmatch(self.text[0]))


def _split(pinyin: str) -> tuple[str, str, int]:
    from pypinyin.contrib.tone_convert import to_finals, to_initials

    tone = int(pinyin[-1]) if pinyin[-1:].isdigit() else 0
    return to_initials(pinyin, strict=True), to_finals(pinyin, strict=True), tone


def _erhua_at(text: str, i: int) -> bool:
    """Is the 儿 at text[i] 儿化 of the character before it? Not in a word where 儿 is a syllable of
    its own (女儿 is nǚ'ér, not nǚr: the front end's `standalone_er`)."""
    if i == 0 or not HAN_RUN.fullmatch(text[i - 1]):
        return False
    for word in frontend_data()["standalone_er"]:
        k = word.find("儿")
        if text[i - k:i - k + len(word)] == word:
            return False
    return True


def syllables(text: str) -> list[Syllable]:
    """The syllables of a line, skipping punctuation; digits are read as 零一二…."""
    return list(_syllables(text))


@lru_cache(maxsize=8192)
def _syllables(text: str) -> tuple[Syllable, ...]:
    text = "".join(_DIGITS[int(c)] if c.isascii() and c.isdigit() else c for c in text)
    out: list[Syllable] = []
    for match in HAN_RUN.finditer(text):
        run = match.group(0)
        readings = pinyin_for(run)
        base = match.start()
        for j, (char, py) in enumerate(zip(run, readings)):
            if char == "儿" and out and out[-1].han and _erhua_at(text, base + j):
                prev = out[-1]
                out[-1] = Syllable(prev.text + "儿", _rhotic(prev.pinyin), prev.initial, prev.final,
                                   prev.tone, erhua=True)
                continue
            initial, final, tone = _split(py)
            out.append(Syllable(char, py, initial, final, tone))
    return tuple(out)


def _rhotic(pinyin: str) -> str:
    if pinyin[-1:].isdigit():
        return pinyin[:-1] + "r" + pinyin[-1]
    return pinyin + "r"


def count(text: str) -> int:
    """Syllables in a line as the forms count them (punctuation and 儿化 儿 not counted)."""
    return len(syllables(text))
