"""Text -> syllables (character, TONE3 pinyin, initial, final, 儿化) for rhyme analysis."""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "data"
_HAN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_DIGITS = "零一二三四五六七八九"
# 儿 that is a syllable of its own, not 儿化 of the one before (女儿 is nǚ'ér, not nǚr)
_ER_WORDS = ("女儿", "婴儿", "孤儿", "幼儿", "健儿", "男儿", "宠儿", "胎儿", "患儿", "少儿", "孩儿",
             "侄儿", "儿女", "儿童", "儿子", "儿孙", "产儿", "弃儿", "育儿", "托儿", "混血儿")


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
        return bool(_HAN_RE.fullmatch(self.text[0]))


def _their_pinyin():
    """The speech stage's `pinyin_for` (pronunciation fixes) when it exists, else None."""
    for name in ("broadcaster.speech", "broadcaster.speech.pronounce", "broadcaster.speech.pinyin",
                 "broadcaster.speech.pronunciation"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        fn = getattr(module, "pinyin_for", None)
        if callable(fn):
            return fn
    return None


@lru_cache(maxsize=1)
def _fixes() -> dict[str, list[str]]:
    data = yaml.safe_load((DATA / "pinyin_fixes.yaml").read_text(encoding="utf-8")) or {}
    return {str(k): [str(s) for s in v] for k, v in data.items()}


def _own_pinyin(run: str) -> list[str]:
    """pypinyin in context (the fallback while the speech stage has no `pinyin_for`)."""
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True, strict=True)


def _with_fixes(run: str, out: list[str]) -> list[str]:
    """Our jingle fixes on top (不得了 liǎo, 忙活 huó, 不得行 xíng), whoever read the run."""
    out = list(out)
    for phrase, reading in _fixes().items():
        start = run.find(phrase)
        while start >= 0:
            out[start:start + len(phrase)] = reading
            start = run.find(phrase, start + len(phrase))
    return out


def run_pinyin(run: str) -> list[str]:
    """One TONE3 syllable per character of a run of Han characters."""
    theirs = _their_pinyin()
    if theirs is not None:
        try:
            got = [str(s) for s in theirs(run)]
        except Exception:  # noqa: BLE001 - theirs is optional; ours is the fallback
            got = []
        if len(got) == len(run):
            return _with_fixes(run, got)
    return _with_fixes(run, _own_pinyin(run))


def _split(pinyin: str) -> tuple[str, str, int]:
    from pypinyin.contrib.tone_convert import to_finals, to_initials

    tone = int(pinyin[-1]) if pinyin[-1:].isdigit() else 0
    return to_initials(pinyin, strict=True), to_finals(pinyin, strict=True), tone


def _erhua_at(text: str, i: int) -> bool:
    """Is the 儿 at text[i] 儿化 of the character before it?"""
    if i == 0 or not _HAN_RE.fullmatch(text[i - 1]):
        return False
    for word in _ER_WORDS:
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
    for match in _HAN_RE.finditer(text):
        run = match.group(0)
        readings = run_pinyin(run)
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
