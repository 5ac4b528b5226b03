"""The jingle checker: form and rhyme, line by line, as a report (text for people, dict for tools)."""
from __future__ import annotations

from dataclasses import dataclass

from broadcaster.errors import BadInput
from broadcaster.i18n import N_, _
from broadcaster.jingle import forms, rhyme
from broadcaster.jingle.syllables import Syllable
from broadcaster.speech.voices import get_profile

CANTONESE_WARNING = N_("voice '{voice}' reads Cantonese: most Mandarin rhymes are lost in Cantonese — "
                       "check the rhymes by ear, or render this jingle with a Mandarin voice")


@dataclass(frozen=True)
class PairReport:
    """One rhyme pair and its verdict."""

    a: Syllable
    b: Syllable
    a_at: forms.Position
    b_at: forms.Position
    verdict: rhyme.PairVerdict
    group: str

    def to_dict(self) -> dict:
        out = {"a": self.a.text, "b": self.b.text, "pinyin": [self.a.pinyin, self.b.pinyin],
               "tones": [self.a.tone, self.b.tone],
               "group": self.group, "verdict": self.verdict.verdict, "why": self.verdict.why,
               "lines": [self.a_at.line + 1, self.b_at.line + 1],
               "positions": [self.a_at.index + 1, self.b_at.index + 1]}
        if self.verdict.dialect_note:
            out["note"] = self.verdict.dialect_note
        return out


@dataclass(frozen=True)
class LineReport:
    number: int                      # 1-based
    text: str
    syllables: tuple[Syllable, ...]
    pairs: tuple[PairReport, ...]
    problems: tuple[forms.Problem, ...]

    def marked(self, positions: set[int] | None = None) -> str:
        """The line's syllables with rhyme positions in 【】."""
        marks = positions if positions is not None else {p.b_at.index for p in self.pairs}
        out, k, i, text = [], 0, 0, self.text
        while i < len(text):
            syl = self.syllables[k] if k < len(self.syllables) else None
            width = len(syl.text) if syl else 0
            if syl and (text[i:i + width] == syl.text or (text[i].isascii() and text[i].isdigit())):
                width = width if text[i:i + width] == syl.text else 1
                piece = text[i:i + width]
                out.append(f"【{piece}】" if k in marks else piece)
                i, k = i + width, k + 1
            else:
                out.append(text[i])
                i += 1
        return "".join(out)

    def to_dict(self) -> dict:
        return {"text": self.text, "pinyin": [s.pinyin for s in self.syllables],
                "characters": len(self.syllables), "pairs": [p.to_dict() for p in self.pairs],
                "problems": [f"{p.what} — {p.fix}" for p in self.problems]}


@dataclass(frozen=True)
class JingleReport:
    """Everything the checker found."""

    form: str
    form_given: bool
    strictness: str
    voice: str
    rhyme_system: str
    lines: tuple[LineReport, ...]
    warnings: tuple[str, ...] = ()

    @property
    def pairs(self) -> tuple[PairReport, ...]:
        return tuple(p for line in self.lines for p in line.pairs)

    @property
    def problems(self) -> tuple[forms.Problem, ...]:
        return tuple(p for line in self.lines for p in line.problems)

    @property
    def rhymes_ok(self) -> bool:
        return all(rhyme.accepts(self.strictness, p.verdict.verdict) for p in self.pairs)

    @property
    def ok(self) -> bool:
        return self.rhymes_ok and not self.problems and bool(self.pairs)

    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in rhyme.VERDICTS}
        for p in self.pairs:
            out[p.verdict.verdict] += 1
        return out

    def summary(self) -> str:
        c = self.counts()
        parts = [_(rhyme.VERDICT_COUNTS[v]).format(n=n) for v, n in c.items() if n]
        if not parts:
            return _("{form}, no rhyme pairs").format(form=self.form)
        return _("{form}, {pairs} rhyme pairs: {counts}").format(
            form=self.form, pairs=len(self.pairs), counts=_(", ").join(parts))

    def to_dict(self) -> dict:
        return {"ok": self.ok, "form": self.form, "form_given": self.form_given,
                "rhyme": self.strictness, "voice": self.voice, "rhyme_system": self.rhyme_system,
                "counts": self.counts(), "lines": [line.to_dict() for line in self.lines],
                "warnings": list(self.warnings)}


def check_lines(lines: list[str] | tuple[str, ...], form: str | None = None, strictness: str = "group",
                voice=None) -> JingleReport:
    """Check a jingle's lines for its form (guessed when None) at a strictness, read by `voice`."""
    if strictness not in rhyme.STRICTNESS:
        raise BadInput(_("unknown rhyme strictness '{strictness}'").format(strictness=strictness),
                       _("use strict, group or dialect"))
    system = getattr(voice, "rhyme", "mandarin") or "mandarin"
    voice_name = getattr(voice, "name", "mandarin")
    given = form is not None
    form = form or forms.guess_form(lines)
    lay = forms.layout(lines, form)
    by_line: dict[int, list[PairReport]] = {}
    for spec in lay.pairs:
        a = lay.syllables[spec.a.line][spec.a.index]
        b = lay.syllables[spec.b.line][spec.b.index]
        verdict = rhyme.compare(a, b, system)
        ga, gb = rhyme.rhyme_of(a).group, rhyme.rhyme_of(b).group
        by_line.setdefault(spec.b.line, []).append(
            PairReport(a, b, spec.a, spec.b, verdict, ga if ga == gb else f"{ga or '?'}/{gb or '?'}"))
    reports = tuple(
        LineReport(i + 1, text, lay.syllables[i], tuple(by_line.get(i, ())),
                   tuple(p for p in lay.problems if p.line == i))
        for i, text in enumerate(lines))
    warnings = []
    if system == "cantonese":
        warnings.append(_(CANTONESE_WARNING).format(voice=voice_name))
    if system not in rhyme.RHYME_SYSTEMS:
        warnings.append(_("voice '{voice}' has an unknown rhyme system '{system}'; Mandarin rhymes are used")
                        .format(voice=voice_name, system=system))
    for p in (p for line in reports for p in line.pairs):
        if p.verdict.dialect_note and system == "chuanyu":
            warnings.append(_("line {number}: {note}").format(number=p.b_at.line + 1, note=p.verdict.dialect_note))
    return JingleReport(form=form, form_given=given, strictness=strictness, voice=voice_name,
                        rhyme_system=system, lines=reports, warnings=tuple(warnings))


def check_jingle(notice, strictness: str = "group", voice=None) -> JingleReport:
    """The report for a loaded `kind: jingle` notice, read by its own voice unless one is given."""
    if voice is None:
        try:
            voice = get_profile(notice.voice)
        except BadInput as exc:
            raise exc.located(notice.path, notice.doc.line("voice") if notice.doc else None) from None
    return check_lines(notice.lines, notice.form, strictness, voice)


def form_error(notice, report: JingleReport) -> BadInput | None:
    """The first form problem as a one-line `path:line:` error (for check and render), or None."""
    if not report.problems:
        return None
    p = report.problems[0]
    text = notice.lines[p.line] if p.line < len(notice.lines) else ""
    what = (_("jingle line {number} '{text}' {what}").format(number=p.line + 1, text=text, what=p.what)
            if p.of_line else _("jingle: {what}").format(what=p.what))
    return notice.error(what, p.fix, "lines", p.line)


def render_text(report: JingleReport) -> list[tuple[str, str]]:
    """The readable report as (style, text) lines; style is '', 'ok', 'warn' or 'bad' for colour."""
    out: list[tuple[str, str]] = []
    head = (_("form {form}, rhyme {rhyme}, voice {voice}") if report.form_given
            else _("form {form} (guessed; set `form:` in the file), rhyme {rhyme}, voice {voice}"))
    out.append(("", head.format(form=report.form, rhyme=report.strictness, voice=report.voice)))
    mark = {"perfect": "ok", "group": "ok", "dialect": "warn", "none": "bad"}
    for line in report.lines:
        positions = {p.b_at.index for p in line.pairs}
        positions |= {p.a_at.index for p in report.pairs if p.a_at.line == line.number - 1}
        out.append(("", f"{line.number:3d}  {line.marked(positions)}"))
        out.append(("", "     " + " ".join(s.pinyin for s in line.syllables)))
        for p in line.pairs:
            accepted = rhyme.accepts(report.strictness, p.verdict.verdict)
            style = mark[p.verdict.verdict] if accepted else "bad"
            where = "" if p.a_at.line == p.b_at.line else _(" (line {number})").format(number=p.a_at.line + 1)
            out.append((style, f"     {p.a.text}{where} {p.a.pinyin} ~ {p.b.text} {p.b.pinyin}  "
                               f"{p.group}  " + _("{verdict}: {why}").format(
                                   verdict=_(rhyme.VERDICT_LABELS[p.verdict.verdict]), why=p.verdict.why)))
        for prob in line.problems:
            out.append(("bad", "     " + _("FORM: {what} — {fix}").format(what=prob.what, fix=prob.fix)))
    for w in report.warnings:
        out.append(("warn", _("warning: {message}").format(message=w)))
    verdict = (_("{summary} — meets --rhyme {rhyme}") if report.ok
               else _("{summary} — does NOT meet --rhyme {rhyme}"))
    out.append(("ok" if report.ok else "bad", verdict.format(summary=report.summary(), rhyme=report.strictness)))
    return out
