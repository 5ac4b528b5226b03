"""Pronunciation fixes for polyphones, applied in the form each engine takes (engine_specs.py):

- neural, kokoro (FRONT_END): the fixes travel with the text to the shared front end
  (`speech.pinyin.spoken_words`), which reads them as the voice must say them;
- espeak (PINYIN_WORDS): a misread word becomes its pinyin as one word (huan2qian2), which the cmn
  voice reads; so does a character a context rule marked `espeak` decides (要还回来 -> huan2);
- edge (HOMOPHONES): plain text only, so a homophone is substituted (接种 -> 接众, 曾家湾 -> 增家湾).
"""
from __future__ import annotations

import re
from functools import lru_cache

import yaml

from broadcaster.engine_specs import FRONT_END, HOMOPHONES, PINYIN_WORDS, engine_spec
from broadcaster.resources import data_path
from broadcaster.speech.lexicon import (Pronunciation, apply_spans, parse_pronunciation, substring_spans,
                                       word_spans)
from broadcaster.speech.polyphones import apply_context_rules, rule_hits
from broadcaster.vocabulary import HAN

DATA = data_path("speech")


@lru_cache(maxsize=1)
def builtin() -> tuple[Pronunciation, ...]:
    """The package's fixes (data/pronunciations.yaml)."""
    items = yaml.safe_load((DATA / "pronunciations.yaml").read_text(encoding="utf-8")) or []
    return tuple(parse_pronunciation(None, item, espeak_default=False) for item in items)


def _table(extra: tuple[Pronunciation, ...]) -> dict[str, Pronunciation]:
    table = {p.word: p for p in builtin()}
    table.update({p.word: p for p in extra})  # a user's entry overrides ours
    return table


def _spans(text: str, extra: tuple[Pronunciation, ...]) -> list[tuple[int, int, str]]:
    """Where fixes apply: users' words anywhere they are written (names such as 曾家 inside
    曾家村), ours only on word boundaries (你得 in 你得戴, not in 你得到)."""
    mine = substring_spans(text, [p.word for p in extra])
    taken = {i for s, e, _ in mine for i in range(s, e)}
    ours = [sp for sp in word_spans(text, [p.word for p in builtin()])
            if not taken.intersection(range(sp[0], sp[1]))]
    return sorted(mine + ours)


def pinyin_for(text: str, extra: tuple[Pronunciation, ...] = ()) -> list[str]:
    """One TONE3 reading per character of `text` (5 = neutral tone), with our fixes.

    These are dictionary (citation) tones, as rhymes want them; what a pinyin-reading voice
    says, with tone sandhi, is `speech.pinyin.mandarin_pinyin`.
    Characters that are not Han (punctuation, Latin letters) come back unchanged, so the
    result always lines up with `text` character by character.
    """
    if not extra:
        return list(_pinyin_cached(text))
    return readings(text, extra)[0]


@lru_cache(maxsize=4096)
def _pinyin_cached(text: str) -> tuple[str, ...]:
    return tuple(readings(text, ())[0])


def readings(text: str, extra: tuple[Pronunciation, ...] = ()) -> tuple[list[str], frozenset[int]]:
    """Citation readings of `text` in context and the positions the user's fixes decided.

    pypinyin's phrases first, then the context rules (data/polyphones.yaml), then our word
    fixes (data/pronunciations.yaml), then the user's: each later step wins.
    """
    from pypinyin import Style, lazy_pinyin

    out = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, strict=True,
                      errors=lambda chars: list(chars))
    if len(out) != len(text):  # pypinyin keeps one item per Han character; be sure of it
        out = [lazy_pinyin(c, style=Style.TONE3, neutral_tone_with_five=True, strict=True)[0]
               if HAN.match(c) else c for c in text]
    out = apply_context_rules(text, out)
    table = _table(extra)
    users = {p.word for p in extra}
    mine: set[int] = set()
    for start, end, word in _spans(text, extra):
        out[start:end] = list(table[word].pinyin)
        if word in users:
            mine.update(range(start, end))
    return out, frozenset(mine)


def for_engine(text: str, engine: str | None, extra: tuple[Pronunciation, ...] = ()) -> str:
    """The text with pronunciation fixes in the form `engine` takes (None: no engine's, unchanged)."""
    spec = engine_spec(engine)
    return in_form(text, spec.pronunciation_form if spec else FRONT_END, extra)


def in_form(text: str, form: str, extra: tuple[Pronunciation, ...] = ()) -> str:
    """The text with pronunciation fixes in one of the forms of engine_specs.py."""
    table = _table(extra)
    if form == PINYIN_WORDS:
        # spaces keep two fixed words from running into one pinyin word
        pairs = {w: " " + "".join(p.pinyin) + " " for w, p in table.items() if p.espeak}
    elif form == HOMOPHONES:
        pairs = {w: p.say for w, p in table.items() if p.say}
    else:  # FRONT_END: the text stays; the fixes travel with it to the pinyin front end (speech/pinyin.py)
        return text
    words = _spans(text, extra)
    spans = [sp for sp in words if sp[2] in pairs]
    # the context rules' readings too (曾家湾, 得赶紧), where no word fix covers them: every engine
    # says what the front end (and so verify's reference) reads
    taken = {i for s, e, _ in words for i in range(s, e)}
    for i, rule in rule_hits(text):
        said = (" " + rule.reading + " " if rule.espeak else "") if form == PINYIN_WORDS else rule.say
        if said and i not in taken:
            key = f"\0{i}"  # a key of its own: the same character may be said otherwise elsewhere
            pairs[key] = said
            spans.append((i, i + 1, key))
    spans.sort()
    out = apply_spans(text, spans, pairs)
    return re.sub(r" *([，。！？、；：]) *", r"\1", re.sub(r" {2,}", " ", out)).strip()
