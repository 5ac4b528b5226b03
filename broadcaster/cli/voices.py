"""Commands on voices and listening: voices, install-voices, verify.

Each command imports the work it calls inside its function, so that `broadcaster --help` stays fast.
"""
from __future__ import annotations

from pathlib import Path

import click

from broadcaster.cli.options import parse_min_heard
from broadcaster.cli.output import echo_json, fail_below, listen_and_report
from broadcaster.i18n import _


def _engine_info(name: str) -> dict:
    """An engine's licence and speakers (male/female and named), for `voices`."""
    from broadcaster.engines.base import get_engine
    from broadcaster.errors import EngineUnavailable

    try:
        engine = get_engine(name)
    except EngineUnavailable:
        return {"licence": "", "speakers": {}}
    speakers = engine.speakers()
    licence = engine.licence
    sexes = {"female": _("female"), "male": _("male")}
    return {"licence": _(licence) if licence else "",
            "speakers": {name: sexes.get(sex, sex) for name, sex in speakers.items()}}


def _engine_note(name: str) -> str:
    """What users must know wherever an engine is offered (e.g. the neural voice's licence)."""
    from broadcaster.engines.base import get_engine
    from broadcaster.errors import EngineUnavailable

    try:
        note = get_engine(name).note
        return _(note) if note else ""
    except EngineUnavailable:
        return ""


@click.command("voices")
@click.option("--json", "as_json", is_flag=True)
def voices_command(as_json: bool) -> None:
    """List voice profiles and which engines can speak here."""
    from broadcaster.engines.base import available_engines
    from broadcaster.speech.voices import all_profiles, dialects_without_voice

    engines = available_engines()
    profiles = all_profiles()
    choices = _dialect_choices(profiles)
    if as_json:
        echo_json({
            "engines": [{"name": n, "available": ok, "reason": why, "note": _engine_note(n), **_engine_info(n)}
                        for n, ok, why in engines],
            "voices": [{"name": p.name, "display": p.display, "region": p.region, "dialect": p.dialect,
                        "rate": p.rate, "lead": p.lead, "lexicon_words": len(p.lexicon), "speaker": p.speaker,
                        "engines": {e: p.engine_settings(e) for e in p.engines}, "stand_in": p.stand_in,
                        "heard": {e: p.honest(e) for e in p.engines}} for p in profiles.values()],
            "dialect_choices": [{"choice": name, "what": what} for name, what in choices],
            "dialects_without_voice": list(dialects_without_voice())})
        return
    click.echo(_("engines:"))
    for name, ok, why in engines:
        info = _engine_info(name)
        state = _("available") if ok else _("not available: {reason}").format(reason=why)
        click.echo(f"  {name:7s} {state}")
        if info["licence"]:
            click.echo("          " + _("licence: {licence}").format(licence=info["licence"]))
        if info["speakers"]:
            listed = _(", ").join(f"{n} ({sex})" for n, sex in info["speakers"].items())
            click.echo("          " + _("speakers: {speakers}").format(speakers=listed))
        if _engine_note(name):
            click.echo("          " + _("note: {reason}").format(reason=_engine_note(name)))
    click.echo(_("voices:"))
    for p in profiles.values():
        about = (_("(rate {rate}, {n} dialect words, speaker {speaker})") if p.lexicon
                 else _("(rate {rate}, speaker {speaker})")).format(rate=f"{p.rate:g}", n=len(p.lexicon),
                                                                   speaker=p.speaker)
        click.echo(f"  {p.name:18s} {p.display}  {p.region}  {about}")
        for engine in p.engines:
            settings = p.engine_settings(engine)
            voice = settings.get("voice") or settings.get("speaker") or _("default")
            heard = _("{voice}: {heard}").format(voice=p.display, heard=p.honest(engine))
            click.echo(f"      {engine:7s} {voice:30s} {heard}")
    click.echo(_("ways to put a dialect on air:"))
    for name, what in choices:
        click.echo(f"  {_padded(name, 14)} {what}")
    click.echo(_("no voice here speaks {dialects}: record their notices in your own voice "
                 "(`recording:`)").format(dialects=_(", ").join(dialects_without_voice())))


def _padded(text: str, columns: int) -> str:
    """`text` padded with spaces to `columns` terminal columns (a Chinese character takes two)."""
    import unicodedata

    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, columns - width)


def _dialect_choices(profiles: dict) -> list[tuple[str, str]]:
    """The honest ways to put a dialect on air, each said for what it is: (label, what it is)."""
    worded = [p for p in profiles.values() if p.dialect and not p.needs_dialect_voice]
    online = [p.dialect for p in worded if p.speaks_dialect("edge")]
    words = _("the dialect's own words (voice: {profiles}) read by a Mandarin voice: a stand-in, not a dialect "
              "voice").format(profiles=", ".join(p.name for p in worded))
    if online:
        words += _("; online, edge has voices of {dialects}").format(dialects=_(", ").join(online))
    out = [(_("dialect words"), words)]
    for p in profiles.values():
        if p.needs_dialect_voice:
            out.append((p.dialect, _("a {dialect} voice (voice: {profile}); offline that is eSpeak's, robotic: the "
                                     "fallback").format(dialect=p.dialect, profile=p.name)))
    out.append((_("own recording"), _("the official's own recording (recording: 录音/通知.m4a), in any dialect as "
                                      "it is spoken; see docs/recordings.md")))
    return out


@click.command("install-voices")
@click.option("--from", "tarball", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Use this copy of kokoro-js-1.2.1.tgz instead of fetching it with npm.")
@click.option("--dir", "target", type=click.Path(file_okay=False), default=None,
              help="Folder to put the voices in (default: inside the Python environment, or the user data folder).")
@click.option("--force", is_flag=True, help="Fetch and write them again even if they are there.")
def install_voices_command(tarball: str | None, target: str | None, force: bool) -> None:
    """Fetch the Kokoro Mandarin voices (npm package kokoro-js 1.2.1) and check them by sha256.

    \b
    Examples:
      broadcaster install-voices                                # with npm, from the npm registry
      broadcaster install-voices --from kokoro-js-1.2.1.tgz     # a copy from another computer
    """
    from broadcaster.engines.kokoro_model import install_voices

    done = install_voices(Path(target) if target else None, Path(tarball) if tarball else None, force)
    if done.written:
        click.echo(_("installed {count} Kokoro voices in {folder} (from {source})").format(
            count=done.written, folder=done.folder, source=done.source))
    else:
        click.echo(_("the Kokoro voices are already installed in {folder}").format(folder=done.folder))


@click.command("verify")
@click.argument("files", nargs=-1, required=True)
@click.option("--min-heard", "min_heard", default=None, metavar="P",
              help="Exit 1 when any file has fewer characters heard right (e.g. 0.9 or 90%).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def verify_command(files: tuple[str, ...], min_heard: str | None, as_json: bool) -> None:
    """Proof-listen to rendered programs with an offline listener (Whisper base).

    Each program's audio is cut at its pauses, transcribed, and compared with the spoken text
    written beside it (<id>.txt): the share of characters heard right, the pinyin error rate
    (homophones are not errors) and the words heard differently. Needs
    `pip install 'broadcaster[verify]'`. Cantonese programs are not checked (Whisper cannot).

    \b
    Examples:
      broadcaster verify out/                       # every program rendered to out/
      broadcaster verify out/hesuan-round8.mp3 --min-heard 90%
      broadcaster render notices/*.yaml -o out/ --verify --min-heard 0.85
    """
    threshold = parse_min_heard(min_heard)
    verdicts = listen_and_report([Path(f) for f in files], as_json)
    if as_json:
        echo_json({"verified": [v.as_dict() for v in verdicts]})
    fail_below(verdicts, threshold)
