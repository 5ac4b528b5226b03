"""`broadcaster jingle`: check a jingle's rhymes, compose one from the bank, list the bank's topics.

Each command imports the work it calls inside its function, so that `broadcaster --help` stays fast.
"""
from __future__ import annotations

import re
from pathlib import Path

import click

from broadcaster.cli.output import echo_json
from broadcaster.errors import ExitStatus
from broadcaster.i18n import _
from broadcaster.vocabulary import JINGLE_FORMS


_STYLES = {"ok": {"fg": "green"}, "warn": {"fg": "yellow"}, "bad": {"fg": "red", "bold": True}}


@click.group("jingle")
def jingle_command() -> None:
    """Rhyming jingles (顺口溜): check their rhymes, compose new ones from the bank.

    \b
    Examples:
      broadcaster jingle check examples/jingles/qianjiang-337.yaml --rhyme dialect
      broadcaster jingle compose --form 三三七 --topics 口罩,洗手,聚集 --place 黔江 -o jingle.yaml
      broadcaster jingle topics
    """


@jingle_command.command("check")
@click.argument("file")
@click.option("--form", type=click.Choice(JINGLE_FORMS), default=None,
              help="Check against this form (default: the file's `form:`, else guessed).")
@click.option("--rhyme", "strictness", type=click.Choice(["strict", "group", "dialect"]), default="group",
              show_default=True, help="strict: same rhyme; group: same 十三辙 group; dialect: also rhymes "
              "only in the voice's dialect (川渝).")
@click.option("--voice", default=None, help="Read it as this voice profile (default: the file's voice).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def jingle_check_command(file: str, form: str | None, strictness: str, voice: str | None, as_json: bool) -> None:
    """Show each line's pinyin, its rhyme pair, group and verdict.

    \b
    Exit 0 when every pair meets --rhyme and every line fits the form, 1 when not,
    2 when the file itself has a mistake.
    \b
    Examples:
      broadcaster jingle check jingle.yaml
      broadcaster jingle check jingle.yaml --rhyme strict
      broadcaster jingle check jingle.yaml --voice sichuan_chongqing --rhyme dialect --json
    """
    from dataclasses import replace

    from broadcaster.jingle.check import check_jingle, render_text
    from broadcaster.notice import load_jingle
    from broadcaster.speech.voices import get_profile

    notice = load_jingle(file)
    if form:
        notice = replace(notice, form=form)
    profile = None
    if voice:
        profile = get_profile(voice)
    report = check_jingle(notice, strictness, profile)
    if as_json:
        echo_json(report.to_dict())
    else:
        for style, text in render_text(report):
            click.echo(click.style(text, **_STYLES.get(style, {})))
    if not report.ok:
        raise click.exceptions.Exit(ExitStatus.FAILED)


@jingle_command.command("compose")
@click.option("--form", type=click.Choice(JINGLE_FORMS), required=True)
@click.option("--topics", required=True, help="Comma-separated topics, e.g. 口罩,洗手,聚集 (see `jingle topics`).")
@click.option("--place", default="", help="Your village or town, for lines with {place} (e.g. 黔江).")
@click.option("--who", default="", help="How to call the listeners, for lines with {who} (e.g. 乡亲).")
@click.option("--lines", "n_lines", type=click.IntRange(2, 40), default=None,
              help="Number of lines (default 三三七 6, 三句半 4, 七言 4, 快板 8).")
@click.option("--voice", default=None, help="Voice profile; its dialect words are used (e.g. sichuan_chongqing).")
@click.option("--seed", type=int, default=0, show_default=True, help="Another seed gives another jingle.")
@click.option("--rhyme", "strictness", type=click.Choice(["strict", "group", "dialect"]), default="group",
              show_default=True, help="How strictly the lines must rhyme.")
@click.option("--id", "jingle_id", default=None, help="The id written into the file (default: from -o).")
@click.option("--title", default=None, help="The title written into the file.")
@click.option("-o", "--out", "out", default=None, type=click.Path(dir_okay=False),
              help="Jingle file to write (default: print it).")
@click.option("--json", "as_json", is_flag=True, help="Print the lines and the checker's report as JSON.")
def jingle_compose_command(form: str, topics: str, place: str, who: str, n_lines: int | None, voice: str | None,
                   seed: int, strictness: str, jingle_id: str | None, title: str | None, out: str | None,
                   as_json: bool) -> None:
    """Compose a jingle from the bank: rhymed, never a line twice, the same for the same seed.

    \b
    Examples:
      broadcaster jingle compose --form 三三七 --topics 口罩,洗手,聚集 --place 黔江 -o jingle.yaml
      broadcaster jingle compose --form 三句半 --topics 核酸 --lines 8 --voice sichuan_chongqing --seed 3
      broadcaster jingle compose --form 快板 --topics 疫苗,谣言 --rhyme strict -o kuaiban.yaml
    Then: broadcaster render jingle.yaml -o out/ --beat
    """
    from broadcaster.fsutil import write_text
    from broadcaster.jingle.compose import compose
    from broadcaster.notice import ID_RE
    from broadcaster.speech.romanize import ascii_name
    from broadcaster.speech.voices import get_profile

    profile = get_profile(voice)
    names = [t for t in re.split(r"[,，、\s]+", topics) if t]
    result = compose(form, names, place=place, lines=n_lines, voice=profile, seed=seed,
                     strictness=strictness, who=who)
    if jingle_id is None and out:  # the file's name, or its pinyin (顺口溜.yaml -> shunkouliu), as a notice's id
        stem = Path(out).stem.lower()
        jingle_id = stem if ID_RE.fullmatch(stem) else ascii_name(stem) or None
    text = result.to_yaml(jingle_id, title)
    if out:
        write_text(out, text)
    if as_json:
        echo_json({"file": out, "lines": list(result.lines), "seed": seed,
                   "report": result.report.to_dict()})
    elif out:
        click.echo(_("wrote {path}: {summary}").format(path=out, summary=result.report.summary()))
    else:
        click.echo(text, nl=False)
    for warning in result.report.warnings:
        click.echo(_("warning: {message}").format(message=warning), err=True)


@jingle_command.command("topics")
@click.option("--json", "as_json", is_flag=True)
def jingle_topics_command(as_json: bool) -> None:
    """List the bank's topics (with other names they answer to) and how many lines each has."""
    from broadcaster.jingle.bank import topics

    rows = [{"topic": t.name, "aliases": list(t.aliases), "openings": len(t.openings), "lines": len(t.lines),
             "half": len(t.half)} for t in topics()]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['topic']:4s}  " + _("三三七 openings {openings:2d}  7-character lines {lines:2d}  "
                                           "half lines {half:2d}  (also: {aliases})").format(
            openings=r["openings"], lines=r["lines"], half=r["half"], aliases="、".join(r["aliases"])))
