"""The shared Mandarin front end of every engine that reads pinyin (neural, kokoro).

`mandarin_pinyin(text, fixes)` gives one TONE3 syllable per character of the spoken text, exactly
as the voice must say it; `spoken_words` groups those syllables into words (儿化 joined), which is
what such an engine reads, and `spell_letters` names Latin letters the Chinese way. An engine maps
the result to its own symbols and adds nothing to the reading: no second sandhi, no fix of its own.
`frontend_digest()` changes whenever the same text could be read otherwise; every pinyin-reading
engine's clip key holds it (engines/speak.py), so such a change makes new clips for all of them.

1. readings in context: pypinyin's phrases, then the context rules of data/polyphones.yaml
   (还要 hai2, 为准 wei2, 接种率 zhong4, 打的去 di1 but 打的疫苗 de5 ...), then the word fixes of
   data/pronunciations.yaml, then the user's (lexicon.yaml) — `pronounce.readings`;
2. tone sandhi, which the models were trained on (the Baker labels carry surface tones) and
   which no library in reach applies (misaki leaves it to the caller):
   - 一: yi1 alone, at the end of a word, after 第, inside numbers and dates (十一, 一月一日,
     幺/一 in digit strings); yi2 before a 4th (or neutral) tone; yi4 before 1st/2nd/3rd;
     neutral between a doubled verb (看一看);
   - 不: bu2 before a 4th tone, neutral between a doubled word (去不去), else bu4;
   - 3-3: in a run of 3rd tones inside a word all but the last become 2nd (展览馆 zhan2 lan2 guan3);
     across a word boundary when one side is a single character (很好, 请你, 小/老鼠 stays 3).
   A user's pinyin is said as written: sandhi never changes a syllable the user fixed.
3. with a voice profile's accent (speech/accent.py), the accent's stage in place of step 2: its tone
   categories said as the Mandarin tones nearest them, its own sandhi, its consonant and final
   rewrites; the user's syllables are still said as written. The accent is part of the digest.
"""
from __future__ import annotations

import hashlib
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from broadcaster.resources import data_path
from broadcaster.speech.accent import Accent, apply_accent
from broadcaster.vocabulary import HAN, HAN_RUN
from broadcaster.speech.lexicon import Pronunciation, segments
from broadcaster.speech.pronounce import readings

DATA = data_path("speech")
# what the front end reads with, all in its digest, so no version needs bumping by hand:
# its data files ...
FRONTEND_FILES = ("polyphones.yaml", "pronunciations.yaml", "frontend.yaml")
# ... and the source of its code (readings, rules, sandhi, 儿化, word cutting)
FRONTEND_MODULES = ("broadcaster.speech.pinyin", "broadcaster.speech.pronounce", "broadcaster.speech.polyphones",
                    "broadcaster.speech.lexicon", "broadcaster.speech.characters", "broadcaster.speech.accent")
_LETTERS = re.compile(r"[A-Za-zＡ-Ｚａ-ｚ]")


@dataclass(frozen=True)
class Word:
    """A stretch of spoken text: a Chinese word with the syllables a voice says for it, or anything
    else (punctuation, spaces) with none. 儿化 is joined to the syllable before: 一点儿 dian3 + r
    = dianr3 (`split_erhua` takes it apart again)."""

    text: str
    syllables: tuple[str, ...] = ()
    # with an accent: each syllable's accent category (阳平 ...), "" where the accent leaves it
    # Mandarin (neutral tones, a category the profile does not map, a user's fix)
    categories: tuple[str, ...] = ()


def frontend_digest(accent: Accent | None = None) -> str:
    """A short hash that changes whenever the front end could read the same text otherwise: its data
    files, its code, the pypinyin and jieba it uses (their dictionaries), and the accent if any (its
    data file and the profile's choices of it)."""
    if accent is None:
        return _digest(DATA)
    return hashlib.sha256(f"{_digest(DATA)} {accent.key()}".encode()).hexdigest()[:12]


@lru_cache(maxsize=4)
def _digest(folder: Path) -> str:
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(b"frontend")
    for module in FRONTEND_MODULES:
        digest.update(f" {module} ".encode())
        digest.update(Path(importlib.util.find_spec(module).origin).read_bytes())
    for package in ("pypinyin", "jieba"):
        try:
            digest.update(f" {package} {version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f" {package} missing".encode())
    for name in FRONTEND_FILES:
        digest.update(f" {name} ".encode())
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=1)
def frontend_data() -> dict:
    """data/frontend.yaml: standalone 儿 words, the words around 一 that its sandhi looks at, and
    the names of Latin letters."""
    return yaml.safe_load((DATA / "frontend.yaml").read_text(encoding="utf-8"))


def spell_letters(text: str) -> str:
    """Latin letters as Chinese speakers name them (APP -> 诶屁屁): the voices have no English."""
    names = frontend_data()["letters"]

    def name(match: re.Match) -> str:
        letter = match.group(0)
        if not letter.isascii():  # full-width Ａ-Ｚ
            letter = chr(ord(letter) - 0xFEE0)
        return names[letter.upper()]

    return _LETTERS.sub(name, text)


def spoken_words(text: str, fixes: tuple[Pronunciation, ...] = (), accent: Accent | None = None) -> list[Word]:
    """`text` cut into what a pinyin-reading voice reads: each run of Chinese characters into its
    words (jieba) with their syllables from `mandarin_pinyin` (read over the whole text, so the
    context counts), everything between as a Word without syllables. Together they spell `text`."""
    readings, kinds = _reading(text, tuple(fixes), accent) if HAN.search(text) else ((), ())
    standalone_er = frontend_data()["standalone_er"]
    out: list[Word] = []
    done = 0
    for run in HAN_RUN.finditer(text):
        if run.start() > done:
            out.append(Word(text[done:run.start()]))
        i = run.start()
        for word in segments(run.group(0)):
            syllables: list[str] = []
            cats: list[str] = []
            for j, char in enumerate(word):
                syllable = readings[i + j]
                if not syllable[-1:].isdigit():
                    syllable += "5"  # a character pypinyin cannot read: no tone to give it
                if (char == "儿" and syllables and syllable.startswith("er")
                        and not any(w in word for w in standalone_er)):
                    syllables[-1] = syllables[-1][:-1] + "r" + syllables[-1][-1]  # 一点儿 dianr3
                    continue
                syllables.append(syllable)
                cats.append(kinds[i + j])
            out.append(Word(word, tuple(syllables), tuple(cats) if accent is not None else ()))
            i += len(word)
        done = run.end()
    if done < len(text):
        out.append(Word(text[done:]))
    return out


def split_erhua(syllable: str) -> tuple[str, bool]:
    """dianr3 -> (dian3, True); er2 and every other syllable -> (itself, False)."""
    if syllable[-2:-1] == "r" and not syllable.startswith("er"):
        return syllable[:-2] + syllable[-1], True
    return syllable, False


def mandarin_pinyin(text: str, fixes: tuple[Pronunciation, ...] = (), accent: Accent | None = None) -> list[str]:
    """One TONE3 syllable (5 = neutral) per character of `text`, as a pinyin-reading voice must
    say it: readings in context with our and the user's fixes, then tone sandhi, or with `accent`
    the accent's stage instead (speech/accent.py; the user's syllables still as written).

    Characters that are not Han come back unchanged, so the result lines up with `text`.
    """
    return list(_reading(text, tuple(fixes), accent)[0])


def _reading(text: str, fixes: tuple[Pronunciation, ...], accent: Accent | None) -> tuple[tuple[str, ...],
                                                                                            tuple[str, ...]]:
    """(syllables, accent category of each or "") for `text`; cached when no user fix applies."""
    if not fixes:
        return _cached(text, accent)
    return _read(text, fixes, accent)


@lru_cache(maxsize=4096)
def _cached(text: str, accent: Accent | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return _read(text, (), accent)


def _read(text: str, fixes: tuple[Pronunciation, ...], accent: Accent | None) -> tuple[tuple[str, ...],
                                                                                      tuple[str, ...]]:
    syllables, keep = readings(text, fixes)
    surface = tone_sandhi(text, syllables, keep)
    if accent is None:
        return tuple(surface), ("",) * len(surface)
    said, kinds = apply_accent(text, syllables, surface, keep, accent, segments(text) if accent.sandhi else ())
    return tuple(said), tuple(kinds)


def tone_sandhi(text: str, syllables: list[str], keep: frozenset[int] = frozenset()) -> list[str]:
    """Surface tones for citation `syllables` of `text`; positions in `keep` stay as they are."""
    out = list(syllables)
    for i, char in enumerate(text):  # pypinyin's phrases carry some 一/不 sandhi, unevenly: start clean
        if i not in keep and char == "一" and out[i].startswith("yi"):
            out[i] = "yi1"
        elif i not in keep and char == "不" and out[i].startswith("bu"):
            out[i] = "bu4"
    citation = list(out)
    word_final = _word_ends(text) if "一" in text else set()
    for i, char in enumerate(text):
        if i in keep:
            continue
        if char == "一" and out[i] == "yi1":
            out[i] = "yi1" if i in word_final else _yi(text, citation, i)  # 统一/安排, 之一
        elif char == "不" and out[i] == "bu4":
            out[i] = _bu(text, citation, i)
    return _third_tones(text, out, keep)


def _word_ends(text: str) -> set[int]:
    """Positions of the last character of each word of two or more characters."""
    ends, start = set(), 0
    for word in segments(text):
        start += len(word)
        if len(word) > 1:
            ends.add(start - 1)
    return ends


def _tone(syllable: str) -> str:
    return syllable[-1] if syllable[-1:] in "12345" else ""


def _han(text: str, i: int) -> bool:
    return 0 <= i < len(text) and bool(HAN.match(text[i]))


@lru_cache(maxsize=1)
def _yi_words() -> dict[str, frozenset[str] | tuple[str, ...]]:
    """frontend.yaml's `yi` lists as sets of characters (and tuples of words to match at an end)."""
    words = frontend_data()["yi"]
    digits = frozenset(words["digits"])
    return {"digits": digits, "numbers": digits | frozenset(words["numbers"]),
            "multipliers": frozenset(words["multipliers"]), "weekday_next": frozenset(words["weekday_next"]),
            "ends_word_after": frozenset(words["ends_word_after"]),
            "weekday_after": tuple(words["weekday_after"]), "label_next": tuple(words["label_next"])}


def _yi(text: str, tones: list[str], i: int) -> str:
    words = _yi_words()
    prev = text[i - 1] if i > 0 else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if not _han(text, i + 1) or prev == "第":
        return "yi1"  # 统一, 唯一, 第一
    if text[:i].endswith(words["weekday_after"]) or (prev == "周" and nxt in words["weekday_next"]):
        return "yi1"  # 星期一, 周一上午
    if nxt not in words["multipliers"] and (prev in words["numbers"] or nxt in words["digits"]
                                            or prev in words["ends_word_after"]):
        return "yi1"  # 十一, 二十一天, 一二三, 统一 (一百, 三千一百 take the sandhi below)
    if text[i + 1:].startswith(words["label_next"]):
        return "yi1"  # 一月一日, 一号楼
    if prev == "月" and nxt in ("日", "号"):
        return "yi1"
    if prev and prev == nxt:
        return "yi5"  # 看一看, 试一试
    return "yi2" if _tone(tones[i + 1]) in ("4", "5") else "yi4"


def _bu(text: str, tones: list[str], i: int) -> str:
    if not _han(text, i + 1):
        return "bu4"
    if i > 0 and text[i - 1] == text[i + 1]:
        return "bu5"  # 去不去, 是不是
    return "bu2" if _tone(tones[i + 1]) == "4" else "bu4"


def _third_tones(text: str, out: list[str], keep: frozenset[int]) -> list[str]:
    words, start = [], 0
    for word in segments(text) if any(s.endswith("3") for s in out) else ():
        words.append((start, start + len(word)))
        start += len(word)

    def third(i: int) -> bool:
        return _han(text, i) and out[i].endswith("3")

    def lower(i: int) -> None:
        if i not in keep:
            out[i] = out[i][:-1] + "2"

    for a, b in words:  # inside a word: every 3rd tone before another 3rd tone becomes 2nd
        for i in range(a, b - 1):
            if third(i) and third(i + 1):
                lower(i)
    for (a1, b1), (a2, b2) in reversed(list(zip(words, words[1:]))):
        # across a boundary only where a single character leans on its neighbour (很好, 请你)
        if (b1 - a1 == 1 or b2 - a2 == 1) and third(b1 - 1) and third(a2):
            lower(b1 - 1)
    return out
