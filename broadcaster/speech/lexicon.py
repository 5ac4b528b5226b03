"""Word replacement on word boundaries (jieba), and users' own lexicon.yaml beside their notices.

A plain str.replace turns 不要紧 into 莫紧 and 别人 into 莫人; here a word is replaced only
where the segmenter finds it (or a run of whole segments spells it), never inside a longer word.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from broadcaster import yamlsource
from broadcaster.errors import BadInput
from broadcaster.i18n import N_, _
from broadcaster.speech.voices import all_profiles

USER_LEXICON = "lexicon.yaml"
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _tokenizer():
    """Our own jieba instance, so nothing we do changes anyone else's segmentation."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    return tk


def segments(text: str) -> list[str]:
    """The words of `text` as jieba cuts them."""
    tk = _tokenizer()
    with _lock:  # jieba's tokenizer is not safe to share across threads
        return tk.lcut(text)


def is_word(text: str) -> bool:
    """Whether the segmenter's dictionary holds `text` as a word (not merely as the start of one)."""
    return _tokenizer().FREQ.get(text, 0) > 0


_CLAUSE = re.compile(r"[^，。！？；：、,.!?;:\s（）()“”\"]+")


def word_spans(text: str, keys) -> list[tuple[int, int, str]]:
    """(start, end, key) for every key found as a whole word or a run of whole words.

    Longer keys win (怎么办 before 怎么); spans never overlap. Words never cross punctuation,
    so only the clauses that hold a key are segmented (the segmenter is the slow part).
    """
    keys = set(keys)
    if not keys or not any(k in text for k in keys):
        return []
    longest = max(len(k) for k in keys)
    spans: list[tuple[int, int, str]] = []
    for clause in _CLAUSE.finditer(text):
        chunk = clause.group(0)
        if any(k in chunk for k in keys):
            spans.extend((clause.start() + s, clause.start() + e, k)
                         for s, e, k in _spans_in(chunk, keys, longest))
    return spans


def _spans_in(text: str, keys: set[str], longest: int) -> list[tuple[int, int, str]]:
    words = segments(text)
    starts = [0]
    for w in words:
        starts.append(starts[-1] + len(w))
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        best, end, joined = None, i, ""
        for j in range(i, len(words)):
            joined += words[j]
            if len(joined) > longest:
                break
            if joined in keys:
                best, end = joined, j
        if best is None:
            i += 1
        else:
            spans.append((starts[i], starts[end + 1], best))
            i = end + 1
    return spans


def substring_spans(text: str, keys) -> list[tuple[int, int, str]]:
    """(start, end, key) for every occurrence, longest keys first, never overlapping."""
    taken = [False] * len(text)
    spans = []
    for key in sorted(set(keys), key=len, reverse=True):
        start = text.find(key)
        while start >= 0:
            if not any(taken[start:start + len(key)]):
                spans.append((start, start + len(key), key))
                taken[start:start + len(key)] = [True] * len(key)
            start = text.find(key, start + len(key))
    return sorted(spans)


def apply_spans(text: str, spans: list[tuple[int, int, str]], table: dict[str, str]) -> str:
    out, last = [], 0
    for start, end, key in sorted(spans):
        if start < last:
            continue
        out.append(text[last:start])
        out.append(table[key])
        last = end
    out.append(text[last:])
    return "".join(out)


def replace_words(text: str, pairs: tuple[tuple[str, str], ...] | dict[str, str]) -> str:
    """Replace each key by its value where the key is a whole word or a run of whole words."""
    table = dict(pairs)
    return apply_spans(text, word_spans(text, table), table)


# ---------------------------------------------------------------- users' lexicon.yaml
@dataclass(frozen=True)
class Pronunciation:
    """How to say one written word: pinyin for engines that take it, a homophone for others."""

    word: str
    pinyin: tuple[str, ...]
    say: str = ""
    espeak: bool = False


@dataclass(frozen=True)
class UserLexicon:
    """A notice folder's own words: for every voice, per voice, and pronunciations."""

    path: Path | None = None
    words: tuple[tuple[str, str], ...] = ()
    voices: dict = field(default_factory=dict)  # voice name -> ((mandarin, dialect), ...)
    pronounce: tuple[Pronunciation, ...] = ()

    def words_for(self, voice: str) -> tuple[tuple[str, str], ...]:
        return self.words + tuple(self.voices.get(voice, ()))


USER_KEYS = {"words": N_("words to replace for every voice, e.g. words: {宏福苑: 宏福院}"),
             "voices": N_("per voice profile, e.g. voices: {sichuan_chongqing: {不要: 莫}}"),
             "pronounce": N_("a list like - {word: 曾家, pinyin: zeng1 jia1, say: 增家}")}


def _pairs(doc: yamlsource.YamlDoc, value, *keys) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise doc.error(_("expected lines of written word: spoken word"), _("e.g. 不要: 莫"), *keys)
    out = []
    for k, v in value.items():
        if not isinstance(v, (str, int)) or not str(k).strip() or not str(v).strip():
            raise doc.error(_("'{word}' needs the word to say instead").format(word=k),
                            _("write it as {word}: 新词").format(word=k), *keys, k)
        out.append((str(k).strip(), str(v).strip()))
    return tuple(out)


def parse_pronunciation(doc: yamlsource.YamlDoc | None, item, *keys, espeak_default: bool = True) -> Pronunciation:
    """One pronunciation entry; BadInput (at its line when `doc` is given) when malformed.

    A user's entry applies to every engine (they heard it misread); the package's entries are
    given to eSpeak only where measured to need it.
    """
    def bad(what: str, fix: str) -> BadInput:
        return doc.error(what, fix, *keys) if doc else BadInput(what, fix)
    if not isinstance(item, dict) or "word" not in item or "pinyin" not in item:
        raise bad(_("a pronunciation needs word and pinyin"), _("e.g. - {word: 接种, pinyin: jie1 zhong4, say: 接众}"))
    word = str(item["word"]).strip()
    syllables = tuple(str(item["pinyin"]).split())
    if len(syllables) != len(word):
        raise bad(_("'{word}' has {chars} characters but {syllables} pinyin syllables").format(
                      word=word, chars=len(word), syllables=len(syllables)),
                  _("give one syllable per character with its tone number, e.g. jie1 zhong4"))
    for s in syllables:
        if not (s[:-1].isascii() and s[:-1].isalpha() and s[-1] in "12345"):
            raise bad(_("'{syllable}' is not pinyin with a tone number").format(syllable=s),
                      _("write it like zhong4 (5 for the neutral tone)"))
    unknown = set(item) - {"word", "pinyin", "say", "espeak"}
    if unknown:
        raise bad(_("unknown key '{key}' in a pronunciation").format(key=sorted(unknown)[0]),
                  _("use word, pinyin, say, espeak"))
    return Pronunciation(word=word, pinyin=syllables, say=str(item.get("say") or "").strip(),
                         espeak=bool(item.get("espeak", espeak_default)))


def load_user_lexicon(path: Path) -> UserLexicon:
    """Read a lexicon.yaml; BadInput with its line for any mistake."""
    doc = yamlsource.load(path)
    data = doc.data
    if data is None:
        return UserLexicon(path=path)
    if not isinstance(data, dict):
        raise doc.error(_("lexicon.yaml must list its parts as `key:` lines"),
                        _("start with `words:`, `voices:` or `pronounce:`"))
    yamlsource.check_keys(doc, data, {k: _(v) for k, v in USER_KEYS.items()})
    voices = {}
    given = data.get("voices") or {}
    if not isinstance(given, dict):
        raise doc.error(_("voices must list words under each voice profile's name"), _(USER_KEYS["voices"]), "voices")
    known = list(all_profiles())
    for name, table in given.items():
        if str(name) not in known:
            hint = yamlsource.did_you_mean(str(name), known)
            raise doc.error(_("unknown voice '{name}'").format(name=name),
                            (hint + " " if hint else "") + _("choose one of: {choices}").format(choices=_(", ").join(known)),
                            "voices", name)
        voices[str(name)] = _pairs(doc, table, "voices", name)
    items = data.get("pronounce") or []
    if not isinstance(items, list):
        raise doc.error(_("pronounce must be a list"), _(USER_KEYS["pronounce"]), "pronounce")
    pronounce = tuple(parse_pronunciation(doc, item, "pronounce", i) for i, item in enumerate(items))
    return UserLexicon(path=path, words=_pairs(doc, data.get("words"), "words"), voices=voices,
                       pronounce=pronounce)


_user_cache: dict[Path, tuple[float, UserLexicon]] = {}


def user_lexicon_for(notice_path: Path) -> UserLexicon | None:
    """The lexicon.yaml beside a notice, if there is one (re-read when it changes)."""
    path = Path(notice_path).parent / USER_LEXICON
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    cached = _user_cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    lexicon = load_user_lexicon(path)
    _user_cache[path] = (mtime, lexicon)
    return lexicon
