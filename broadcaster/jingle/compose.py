"""The composer: bank lines for the chosen topics, fitted to a form and rhymed, seeded and repeatable."""
from __future__ import annotations

import random
from dataclasses import dataclass

import yaml

from broadcaster.errors import BadInput, CouldNotDo
from broadcaster.i18n import _
from broadcaster.jingle import forms, rhyme
from broadcaster.jingle.bank import Entry, Topic, find_topics, typical_values
from broadcaster.jingle.bank import topics as all_topics
from broadcaster.jingle.check import JingleReport, check_lines
from broadcaster.jingle.syllables import Syllable, syllables
from broadcaster.speech.lexicon import replace_words
from broadcaster.vocabulary import JINGLE_FORMS

DEFAULT_LINES = {"三三七": 6, "三句半": 4, "七言": 4, "快板": 8}
MAX_LINES = 40


@dataclass(frozen=True)
class Candidate:
    """A bank entry with its slots filled (and dialect words, when the voice has them)."""

    text: str
    entry: Entry
    last: Syllable
    count: int
    dialect: bool


@dataclass(frozen=True)
class Composition:
    """A composed jingle and the checker's report on it."""

    form: str
    lines: tuple[str, ...]
    topics: tuple[str, ...]
    seed: int
    strictness: str
    voice: str
    place: str
    report: JingleReport

    def to_yaml(self, jingle_id: str | None = None, title: str | None = None, repeat: int = 2) -> str:
        """A `kind: jingle` file, ready for `broadcaster render`."""
        head = "# " + _("composed by `broadcaster jingle compose` (seed {seed}, topics {topics}, rhyme {rhyme}); "
                        "edit freely, then `broadcaster jingle check` it").format(
                            seed=self.seed, topics=",".join(self.topics), rhyme=self.strictness) + "\n"
        doc = {"kind": "jingle", "id": jingle_id or f"jingle-{self.seed}",
               "title": title or f"{self.place}防疫{self.form}", "form": self.form, "voice": self.voice,
               "repeat": repeat, "lines": list(self.lines)}
        return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=200)


def dialect_words(text: str, voice) -> str:
    """The text with the voice profile's dialect words, on word boundaries (别人 keeps its 别),
    exactly as the speech stage will replace them."""
    lexicon = tuple(getattr(voice, "lexicon", ()) or ())
    return replace_words(text, lexicon) if lexicon else text


def _candidates(entries: tuple[Entry, ...], values: dict[str, str], voice, fits) -> list[Candidate]:
    """Filled entries that fit the form; the dialect variant replaces the Mandarin one when it fits."""
    out = []
    for entry in entries:
        text = entry.filled(values)
        if text is None:
            continue
        chosen = None
        local = dialect_words(text, voice)
        for variant, is_local in ((local, True), (text, False)):
            if is_local and variant == text:
                continue
            sy = syllables(variant)
            if is_local and len(sy) != len(syllables(text)):
                continue  # a dialect word of another length would break the beat of the line
            if sy and fits(variant, len(sy)):
                chosen = Candidate(variant, entry, sy[-1], len(sy), is_local)
                break
        if chosen:
            out.append(chosen)
    return out


class _Composer:
    def __init__(self, topics: list[Topic], values: dict[str, str], voice, strictness: str, rng: random.Random):
        self.topics, self.values, self.voice, self.strictness, self.rng = topics, values, voice, strictness, rng
        self.system = getattr(voice, "rhyme", "mandarin") or "mandarin"
        self.used: set[str] = set()
        self._cache: dict[tuple, list[Candidate]] = {}

    def pool(self, kind: str, fits, topic: Topic | None = None) -> list[Candidate]:
        key = (kind, fits.__name__, topic.name if topic else None)
        if key not in self._cache:
            chosen = [topic] if topic else self.topics
            entries = tuple(e for t in chosen for e in getattr(t, kind))
            self._cache[key] = _candidates(entries, self.values, self.voice, fits)
        cands = [c for c in self._cache[key] if c.text not in self.used]
        self.rng.shuffle(cands)
        return cands

    def rhymes(self, a: Syllable, b: Syllable) -> bool:
        return rhyme.accepts(self.strictness, rhyme.compare(a, b, self.system).verdict)

    def partner(self, anchor: Candidate, pool: list[Candidate], others: tuple[Candidate, ...] = ()) -> Candidate | None:
        # a rhyme on the same character (洗手 ~ 洗手) is a repeat, not a rhyme: avoid it
        taken = {anchor.last.text} | {x.last.text for x in others}
        exclude = {x.text for x in others}
        for c in pool:
            if c.text not in self.used and c.text not in exclude and c.last.text not in taken \
                    and self.rhymes(anchor.last, c.last):
                return c
        return None

    def take(self, *cands: Candidate) -> None:
        self.used.update(c.text for c in cands)

    def topic_order(self, n: int) -> list[Topic]:
        order = list(self.topics)
        self.rng.shuffle(order)
        return [order[i % len(order)] for i in range(n)]


def _seven(text: str, n: int) -> bool:
    return n == 7


def _opening(text: str, n: int) -> bool:
    return forms.phrase_lengths(text) == (3, 3)


def _half(text: str, n: int) -> bool:
    return forms.HALF_LINE[0] <= n <= forms.HALF_LINE[1]


def _337(c: _Composer, n: int) -> list[str]:
    out = []
    for topic in c.topic_order(n):
        done = False
        for opening in c.pool("openings", _opening, topic) + c.pool("openings", _opening):
            closers = c.pool("lines", _seven, topic) + c.pool("lines", _seven)
            closer = c.partner(opening, closers)
            if closer:
                c.take(opening, closer)
                out.append(f"{opening.text}、{closer.text}")
                done = True
                break
        if not done:
            break
    return out


def _quatrains(c: _Composer, n: int, half: bool) -> list[str]:
    """七言 (AABA, a couplet at the end) and 三句半 (AAB + a rhyming half line)."""
    out: list[str] = []
    size = 4
    for topic in c.topic_order((n + size - 1) // size):
        want = min(size, n - len(out))
        found = None
        for anchor in c.pool("lines", _seven, topic) + c.pool("lines", _seven):
            if anchor.text in c.used:
                continue
            lines_pool = c.pool("lines", _seven, topic) + c.pool("lines", _seven)
            b = c.partner(anchor, lines_pool)
            if b is None:
                continue
            if want == 2:
                found = [anchor, b]
                break
            third = next((x for x in lines_pool if x.text not in (anchor.text, b.text)
                          and not c.rhymes(anchor.last, x.last)), None) \
                or next((x for x in lines_pool if x.text not in (anchor.text, b.text)), None)
            if third is None:
                continue
            if half:
                halves = c.pool("half", _half, topic) + c.pool("half", _half) + _all_halves(c)
                d = c.partner(anchor, halves, (b, third))
            else:
                d = c.partner(anchor, lines_pool, (b, third))
            if d is None:
                continue
            found = [anchor, b, third, d]
            break
        if not found:
            break
        c.take(*found)
        out.extend(x.text for x in found)
    return out


def _all_halves(c: _Composer) -> list[Candidate]:
    entries = tuple(e for t in all_topics() for e in t.half)
    cands = [x for x in _candidates(entries, c.values, c.voice, _half) if x.text not in c.used]
    c.rng.shuffle(cands)
    return cands


def _kuaiban(c: _Composer, n: int) -> list[str]:
    out: list[str] = []
    for topic in c.topic_order((n + 1) // 2):
        use_opening = c.rng.random() < 0.7  # 3+3 and 7 couplets combine freely: more variety
        firsts = (c.pool("openings", _opening, topic) if use_opening else []) + c.pool("lines", _seven, topic) \
            + c.pool("lines", _seven)
        pair = None
        for first in firsts:
            if first.text in c.used:
                continue
            second = c.partner(first, c.pool("lines", _seven, topic) + c.pool("lines", _seven))
            if second:
                pair = [first, second]
                break
        if not pair:
            break
        c.take(*pair)
        out.extend(x.text for x in pair)
    return out[:n]


def compose(form: str, topic_names: list[str] | tuple[str, ...], place: str = "", lines: int | None = None,
            voice=None, seed: int = 0, strictness: str = "group", who: str = "") -> Composition:
    """A jingle of `lines` lines in `form` on the topics, passing the checker at `strictness`."""
    if form not in JINGLE_FORMS:
        raise BadInput(_("unknown form '{form}'").format(form=form),
                       _("use one of {forms}").format(forms=_(", ").join(JINGLE_FORMS)))
    if strictness not in rhyme.STRICTNESS:
        raise BadInput(_("unknown rhyme strictness '{strictness}'").format(strictness=strictness),
                       _("use strict, group or dialect"))
    n = DEFAULT_LINES[form] if lines is None else lines
    if not 2 <= n <= MAX_LINES:
        raise BadInput(_("--lines {n} is out of range").format(n=n), _("use 2 to {max}").format(max=MAX_LINES))
    if form == "三句半" and n % 4:
        raise BadInput(_("a 三句半 has 4 lines per stanza, not {n}").format(n=n), _("use --lines 4, 8 or 12"))
    if form == "七言" and (n < 4 or n % 2):
        raise BadInput(_("a 七言 has 4, 6, 8… lines, not {n}").format(n=n), _("use an even number from 4"))
    if form == "快板" and n % 2:
        raise BadInput(_("a 快板 rhymes in couplets; {n} lines leaves one alone").format(n=n),
                       _("use --lines {n}").format(n=n + 1))
    chosen = find_topics(topic_names)
    values = {**typical_values(), **({"place": place} if place else {}), **({"who": who} if who else {})}
    system_name = getattr(voice, "name", "mandarin")
    rng = random.Random(f"{seed}|{form}|{','.join(t.name for t in chosen)}|{place}|{who}|{system_name}|{n}|{strictness}")
    c = _Composer(chosen, values, voice, strictness, rng)
    if form == "三三七":
        out = _337(c, n)
    elif form == "快板":
        out = _kuaiban(c, n)
    else:
        out = _quatrains(c, n, half=form == "三句半")
    if len(out) < n:
        raise BadInput(_("the bank has only enough rhyming lines for {found} of the {n} lines asked "
                         "({form}, topics {topics}, --rhyme {rhyme})").format(
                             found=len(out), n=n, form=form, topics="、".join(t.name for t in chosen),
                             rhyme=strictness),
                       _("ask for fewer --lines, add --topics, or loosen --rhyme"))
    report = check_lines(out, form, strictness, voice)
    if not report.ok:  # the composer only joins lines the checker accepts; this guards that promise
        raise CouldNotDo(_("the composed jingle does not pass its own check ({summary}): try another --seed, "
                           "and please report it").format(summary=report.summary()))
    return Composition(form=form, lines=tuple(out), topics=tuple(t.name for t in chosen), seed=seed,
                       strictness=strictness, voice=system_name, place=place or values["place"], report=report)
