"""Rhyme of a syllable (group in 十三辙 / 中华新韵 / 中华通韵, 儿化 track, 川渝) and pair verdicts."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from broadcaster.i18n import N_, _
from broadcaster.jingle.syllables import Syllable
from broadcaster.resources import data_path

# verdicts from strictest to loosest; a strictness accepts its own level and every stricter one
VERDICTS = ("perfect", "group", "dialect", "none")
STRICTNESS = ("strict", "group", "dialect")
_ACCEPTS = {"strict": {"perfect"}, "group": {"perfect", "group"},
            "dialect": {"perfect", "group", "dialect"}}
RHYME_SYSTEMS = ("mandarin", "chuanyu", "cantonese")
# how a verdict is shown to people (the JSON keeps the English ids above)
VERDICT_LABELS = {"perfect": N_("PERFECT"), "group": N_("GROUP"), "dialect": N_("DIALECT"), "none": N_("NONE")}
VERDICT_COUNTS = {"perfect": N_("{n} perfect"), "group": N_("{n} group"), "dialect": N_("{n} dialect"),
                  "none": N_("{n} none")}
_APICAL = {"z": "zcs", "c": "zcs", "s": "zcs", "zh": "zhchshr", "ch": "zhchshr", "sh": "zhchshr",
           "r": "zhchshr"}


@dataclass(frozen=True)
class RhymeRow:
    """One row of the rhyme table."""

    final: str
    after: str
    body: str
    shisan_zhe: str
    xinyun: str
    tongyun: str
    erhua: str
    erhua_track: str
    chuanyu: str


@dataclass(frozen=True)
class Rhyme:
    """Where a syllable rhymes."""

    syllable: Syllable
    row: RhymeRow | None   # None: no final (嗯, a letter): rhymes with nothing

    @property
    def group(self) -> str:
        """The 十三辙 track (the group named in reports)."""
        if self.row is None:
            return ""
        return self.row.erhua_track if self.syllable.erhua else self.row.shisan_zhe

    @property
    def body(self) -> str:
        if self.row is None:
            return ""
        if self.syllable.erhua and self.row.erhua:
            return self.row.erhua.lstrip("iuü") or self.row.erhua
        return self.row.body


@dataclass(frozen=True)
class PairVerdict:
    """How two rhyme syllables rhyme, and why."""

    verdict: str                 # perfect | group | dialect | none
    why: str                     # one short reason, in the user's language
    dialect_note: str = ""       # e.g. the pair may not rhyme when read in 川渝话


@lru_cache(maxsize=1)
def table() -> tuple[RhymeRow, ...]:
    with open(data_path("jingle", "rhyme_table.csv"), encoding="utf-8") as fh:
        rows = [line for line in fh if not line.startswith("#")]
    return tuple(RhymeRow(**{k: (v or "").strip() for k, v in r.items()}) for r in csv.DictReader(rows))


def _row(final: str, initial: str) -> RhymeRow | None:
    if not final:
        return None
    candidates = [r for r in table() if r.final == final]
    if final == "i" and initial in _APICAL:
        want = _APICAL[initial]
        candidates = [r for r in candidates if r.after == want] or candidates
    elif final == "eng":
        want = "bpmf" if initial in ("b", "p", "m", "f") else ""
        candidates = [r for r in candidates if r.after == want] or candidates
    else:
        candidates = [r for r in candidates if not r.after] or candidates
    return candidates[0] if candidates else None


def rhyme_of(syllable: Syllable) -> Rhyme:
    return Rhyme(syllable, _row(syllable.final, syllable.initial))


def compare(a: Syllable, b: Syllable, system: str = "mandarin") -> PairVerdict:
    """The verdict for a rhyme pair, read in Mandarin, and in the dialect `system` when it has one."""
    ra, rb = rhyme_of(a), rhyme_of(b)
    if ra.row is None or rb.row is None:
        return PairVerdict("none", _("no rhyming vowel"))
    one_erhua = a.erhua != b.erhua
    verdict, why = "none", _("{a} and {b} are different groups").format(a=ra.group or "?", b=rb.group or "?")
    if ra.body == rb.body and not one_erhua:
        verdict, why = "perfect", _("same rhyme ({body})").format(body=ra.body)
    elif ra.group == rb.group and ra.group:
        verdict, why = "group", _("same group {group}, different rhyme ({a}/{b})").format(
            group=ra.group, a=ra.body, b=rb.body)
    elif one_erhua and ra.row.shisan_zhe == rb.row.shisan_zhe:
        verdict, why = "group", _("same group {group}, but only one is 儿化").format(group=ra.row.shisan_zhe)
    elif ra.row.xinyun == rb.row.xinyun:
        verdict, why = "group", _("same 中华新韵 group {group}").format(group=ra.row.xinyun)
    note = ""
    if system == "chuanyu":
        same_dialect = ra.row.chuanyu == rb.row.chuanyu
        if verdict == "none" and same_dialect:
            verdict, why = "dialect", _("rhymes in 川渝话 ({rhyme}), not in Mandarin").format(rhyme=ra.row.chuanyu)
        elif verdict == "group" and same_dialect and not one_erhua:
            why = _("{why}; rhymes fully in 川渝话 ({rhyme})").format(why=why, rhyme=ra.row.chuanyu)
        elif verdict in ("perfect", "group") and not same_dialect:
            note = _("in 川渝话 {a} ({a_rhyme}) and {b} ({b_rhyme}) may not rhyme").format(
                a=a.text, a_rhyme=ra.row.chuanyu, b=b.text, b_rhyme=rb.row.chuanyu)
    elif system == "cantonese" and verdict != "none":
        note = _("read in Cantonese this Mandarin rhyme may be lost")
    return PairVerdict(verdict, why, note)


def accepts(strictness: str, verdict: str) -> bool:
    """Does a verdict meet the chosen strictness (strict | group | dialect)?"""
    return verdict in _ACCEPTS[strictness]


def best_strictness(verdicts: list[str]) -> str | None:
    """The strictest level every verdict meets, or None when some pair does not rhyme."""
    for level in STRICTNESS:
        if all(accepts(level, v) for v in verdicts):
            return level
    return None
