"""Jingle forms (三三七, 三句半, 七言, 快板): syllable counts per line and which positions rhyme."""
from __future__ import annotations

import re
from dataclasses import dataclass

from broadcaster.errors import BadInput
from broadcaster.i18n import _, ngettext
from broadcaster.jingle.syllables import Syllable, syllables
from broadcaster.speech.characters import mark_class
from broadcaster.vocabulary import JINGLE_FORMS

HALF_LINE = (2, 3)        # 三句半 closing half line
FULL_LINE = (5, 11)       # 三句半 full lines (usually 7)
KUAIBAN_LINE = (3, 14)    # 快板 is free, but a loudspeaker line longer than this is a sentence


@dataclass(frozen=True)
class Position:
    """A rhyme position: line index and syllable index (both 0-based)."""

    line: int
    index: int


@dataclass(frozen=True)
class PairSpec:
    """Two positions that must rhyme; reported on the line of `b`."""

    a: Position
    b: Position


@dataclass(frozen=True)
class Problem:
    """A line that breaks the form, and how to mend it."""

    line: int      # 0-based
    what: str
    fix: str
    # `what` speaks of the line itself and reads after it ("line 3 '…' has 8 characters");
    # False: it is about the whole jingle (too few lines) and stands alone
    of_line: bool = True


@dataclass(frozen=True)
class Layout:
    """A jingle's lines read for its form."""

    form: str
    syllables: tuple[tuple[Syllable, ...], ...]
    phrases: tuple[tuple[int, ...], ...]   # per line: syllable count of each phrase
    pairs: tuple[PairSpec, ...]
    problems: tuple[Problem, ...]


def phrase_lengths(line: str) -> tuple[int, ...]:
    """Syllables per phrase (phrases are cut at 、，； and spaces)."""
    parts = [p for p in re.split(f"[{mark_class('comma', 'clause_stop', 'colon')}\\s]+", line) if p]
    return tuple(len(syllables(p)) for p in parts)


def _three_three_seven(line: str, n: int) -> tuple[int, ...] | None:
    """Phrase lengths if the line can be read as 3+3+7."""
    lengths = phrase_lengths(line)
    if lengths == (3, 3, 7):
        return lengths
    if len(lengths) == 1 and n == 13:
        return (3, 3, 7)
    return None


def guess_form(lines: list[str] | tuple[str, ...]) -> str:
    """The form a jingle most likely follows, when its file does not say."""
    counts = [len(syllables(line)) for line in lines]
    if lines and all(_three_three_seven(line, n) for line, n in zip(lines, counts)):
        return "三三七"
    if len(lines) >= 4 and len(lines) % 4 == 0 and all(
            (HALF_LINE[0] <= n <= HALF_LINE[1]) == (i % 4 == 3) for i, n in enumerate(counts)):
        return "三句半"
    if len(lines) >= 4 and all(n == 7 for n in counts):
        return "七言"
    return "快板"


def layout(lines: list[str] | tuple[str, ...], form: str) -> Layout:
    """Count, cut and pair the lines of a jingle for `form`; problems say what breaks it."""
    sy = tuple(tuple(syllables(line)) for line in lines)
    counts = [len(s) for s in sy]
    problems: list[Problem] = []
    pairs: list[PairSpec] = []
    phrases = tuple(phrase_lengths(line) for line in lines)

    def last(i: int) -> Position:
        return Position(i, counts[i] - 1)

    for i, n in enumerate(counts):
        if n == 0:
            problems.append(Problem(i, _("has no Chinese characters"), _("write the line in 汉字")))
    if form == "三三七":
        for i, line in enumerate(lines):
            if counts[i] == 0:
                continue
            got = _three_three_seven(line, counts[i])
            if got is None:
                shown = "+".join(map(str, phrases[i])) if len(phrases[i]) > 1 else str(counts[i])
                problems.append(Problem(
                    i, _("has {shown} characters, but 三三七 needs 3+3+7").format(shown=shown),
                    _("write two 3-character phrases and a 7-character one, separated by 、")))
            if len(phrases[i]) >= 2:
                second_end = phrases[i][0] + phrases[i][1] - 1
            else:
                second_end = min(5, counts[i] - 2)
            if 0 <= second_end < counts[i] - 1:
                pairs.append(PairSpec(Position(i, second_end), last(i)))
    elif form == "三句半":
        if len(lines) % 4:
            problems.append(Problem(len(lines) - 1, _("三句半 comes in stanzas of 3 lines and a half line, "
                                                      "but there are {n} lines").format(n=len(lines)),
                                    _("make the line count a multiple of 4 (the 4th of each is the half line)"),
                                    of_line=False))
        for i, n in enumerate(counts):
            if n == 0:
                continue
            if i % 4 == 3 and not HALF_LINE[0] <= n <= HALF_LINE[1]:
                problems.append(Problem(i, _("is the half line and has {n} characters, 三句半 needs 2 or 3")
                                        .format(n=n),
                                        _("shorten it to a 2–3 character punch line like 要记到")))
            elif i % 4 != 3 and not FULL_LINE[0] <= n <= FULL_LINE[1]:
                problems.append(Problem(i, _("has {n} characters, a full 三句半 line has 5–11 (usually 7)")
                                        .format(n=n), _("write it as one 7-character line")))
        for start in range(0, len(lines), 4):
            for k in (1, 3):
                if start + k < len(lines) and counts[start] and counts[start + k]:
                    pairs.append(PairSpec(last(start), last(start + k)))
    elif form == "七言":
        if len(lines) < 4 or len(lines) % 2:
            problems.append(Problem(len(lines) - 1,
                                    _("七言 needs 4 or more lines in pairs, there are {n}").format(n=len(lines)),
                                    _("write 4, 6, 8… lines of 7 characters"), of_line=False))
        for i, n in enumerate(counts):
            if n and n != 7:
                fix = (ngettext("drop {k} character", "drop {k} characters", n - 7).format(k=n - 7) if n > 7
                       else ngettext("add {k} character", "add {k} characters", 7 - n).format(k=7 - n))
                problems.append(Problem(i, _("has {n} characters, 七言 needs 7").format(n=n), fix))
        for start in range(0, len(lines), 4):
            group = [start + k for k in range(4) if start + k < len(lines)]
            rhymed = [group[1]] if len(group) >= 2 else []
            if len(group) == 4:
                rhymed.append(group[3])
            for j in rhymed:
                if counts[start] and counts[j]:
                    pairs.append(PairSpec(last(start), last(j)))
    elif form == "快板":
        for i, n in enumerate(counts):
            if n and not KUAIBAN_LINE[0] <= n <= KUAIBAN_LINE[1]:
                problems.append(Problem(i, _("has {n} characters, a 快板 line has 3–14").format(n=n),
                                        _("split it into two lines that rhyme") if n > KUAIBAN_LINE[1]
                                        else _("make it a phrase of 3 or more characters")))
        if len(lines) < 2:
            problems.append(Problem(0, _("a 快板 needs at least 2 lines"), _("add a line that rhymes with it"),
                                    of_line=False))
        for start in range(0, len(lines) - 1, 2):
            b = start + 1
            if counts[start] and counts[b]:
                pairs.append(PairSpec(last(start), last(b)))
        if len(lines) % 2 and len(lines) >= 3 and counts[-1] and counts[-2]:
            pairs.append(PairSpec(last(len(lines) - 2), last(len(lines) - 1)))
    else:
        raise BadInput(_("unknown form '{form}'").format(form=form),
                       _("use one of {forms}").format(forms=_(", ").join(JINGLE_FORMS)))
    return Layout(form=form, syllables=sy, phrases=phrases, pairs=tuple(pairs), problems=tuple(problems))
