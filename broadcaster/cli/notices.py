"""Commands on notices and jingles as files: render, check, say, normalize, templates, export-card, profiles.

Each command imports the work it calls inside its function, so that `broadcaster --help` stays fast.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from broadcaster.cli.options import engine_option, expand, parse_min_heard, trims_cache
from broadcaster.cli.output import echo_json, fail_below, listen_and_report
from broadcaster.errors import BadInput, ExitStatus
from broadcaster.i18n import _, ngettext
from broadcaster.notice import ENGINES


@click.command("render")
@click.argument("files", nargs=-1, required=True)
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for <id>.mp3, <id>.txt and manifest.json.")
@engine_option("Speech engine; auto tries edge, kokoro, neural, then espeak.")
@click.option("--format", "fmt", type=click.Choice(["mp3", "wav"]), default=None,
              help="File format; default: the profile's (mp3, archive: wav).")
@click.option("--profile", "profile", default="loudspeaker", show_default=True, metavar="NAME",
              help="Output profile: loudspeaker, truck, loop-player or archive (see docs/audio.md).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--beat", is_flag=True, help="Jingles: strike a synthesized woodblock on every beat (快板 style).")
@click.option("--concurrency", type=click.IntRange(1, 16), default=3, show_default=True,
              help="Requests to the online engine (edge) at once; the service blocks floods.")
@click.option("--villages", default=None, type=click.Path(dir_okay=False),
              help="A CSV with one row per village: renders out/<village_id>/<id>.mp3 for each.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
              help="With --villages: processes at once (default: all cores).")
@click.option("--quiet", is_flag=True, help="With --villages: no progress display.")
@click.option("--cluster", default=None, metavar="ADDRESS",
              help="With --villages: render on a Dask cluster (tcp://scheduler:8786, or 'local').")
@click.option("--verify", "verify", is_flag=True, help="Then proof-listen to each program (see `broadcaster verify`).")
@click.option("--min-heard", "min_heard", default=None, metavar="P",
              help="Proof-listen and exit 1 when a program has fewer characters heard right (e.g. 90%).")
@trims_cache
def render_command(files: tuple[str, ...], out_dir: str, engine: str, fmt: str | None, as_json: bool,
           beat: bool = False, concurrency: int = 3, profile: str = "loudspeaker", villages: str | None = None,
           jobs: int | None = None, quiet: bool = False, cluster: str | None = None,
           verify: bool = False, min_heard: str | None = None) -> None:
    """Render notices and jingles to audio.

    \b
    Examples:
      broadcaster render examples/notices/*.yaml -o out/
      broadcaster render hesuan.yaml -o out/ --engine espeak --format wav
      broadcaster render notices/ -o out/ --engine edge --concurrency 2   # online voices, gently
      broadcaster render hesuan.yaml -o truck/ --profile truck     # louder, for the truck's PA
      broadcaster render hesuan.yaml --villages villages.csv -o out/ -j 2   # one per village
      broadcaster render hesuan.yaml --villages villages.csv -o out/ --cluster tcp://10.0.0.5:8786
    """
    verify = verify or min_heard is not None  # a threshold means listening
    if villages:
        if verify:
            raise click.UsageError(_("--verify does not apply with --villages: run `broadcaster verify` on "
                                     "the villages' folders afterwards"))
        if cluster:
            from broadcaster.cluster import check_address
            if check_address(cluster):
                raise click.BadParameter(check_address(cluster), param_hint="--cluster")
        if fmt or beat:
            raise click.UsageError(_("--format and --beat do not apply with --villages: choose the output with "
                                     "--profile (or a `profile` column)"))
        return _render_villages(files, villages, out_dir, engine, profile, jobs, quiet, as_json, cluster)
    if cluster:
        raise click.UsageError(_("--cluster renders a villages batch: add --villages villages.csv"))
    from broadcaster.render import RenderOptions, render_files

    options = RenderOptions(out_dir=Path(out_dir), engine=engine, fmt=fmt, beat=beat, concurrency=concurrency,
                            profile=profile)

    said: set = set()  # a skip reason is explained once, then only named

    def report(r) -> None:
        if not as_json:
            skipped = "; ".join(_("{engine} skipped").format(engine=k) if (k, v) in said
                                else _("{engine} skipped: {reason}").format(engine=k, reason=v)
                                for k, v in r.skipped.items())
            said.update(r.skipped.items())
            level = f"{r.loudness_lufs:5.1f} LUFS  " if r.loudness_lufs is not None else ""
            # what may be wrong goes on the program's own line (nothing goes on air without a word)
            click.echo(f"{r.file}  {r.duration:6.1f} s  {level}{r.engine:7s} {r.voice} ({_heard(r)}{_recorded(r)})"
                       f"  {r.title}" + ("  " + _("({reason})").format(reason=skipped) if skipped else "")
                       + "".join("  " + _("(warning: line {line}: {what})").format(line=w.line, what=w.what)
                                 for w in r.warnings))

    threshold = parse_min_heard(min_heard) if verify else None
    if verify:  # a missing listener is said before any rendering, not after
        from broadcaster.errors import ListenerUnavailable
        from broadcaster.listen import available
        if not available()[0]:
            raise ListenerUnavailable(available()[1])
    done, failed = render_files(expand(files), options, on_done=report)
    verdicts = listen_and_report([Path(out_dir) / r.file for r in done], True) if verify and as_json and done else []
    if as_json:
        from dataclasses import asdict
        echo_json({"rendered": [asdict(r) | {"warnings": [w.message() for w in r.warnings]} for r in done],
                   "failed": [str(e) for e in failed]}
                  | ({"verified": [v.as_dict() for v in verdicts]} if verify else {}))
    for exc in failed:
        click.echo(_("error: {message}").format(message=exc), err=True)
    if done and not as_json:
        click.echo(ngettext("wrote {n} program to {folder}/ (manifest.json lists it)",
                            "wrote {n} programs to {folder}/ (manifest.json lists them)", len(done))
                   .format(n=len(done), folder=out_dir))
        for note in _dialect_notes(done):
            click.echo(note)
        if verify:
            verdicts = listen_and_report([Path(out_dir) / r.file for r in done], False)
    if failed:
        raise click.exceptions.Exit(ExitStatus.FAILED)
    fail_below(verdicts, threshold)


def _split_schedules(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Schedule files (a mapping with `programs:`) apart from notices and jingles."""
    from broadcaster import yamlsource
    from broadcaster.schedule.load import is_schedule_data

    notices, schedules = [], []
    for path in paths:
        try:
            is_schedule = is_schedule_data(yamlsource.load(path).data)
        except BadInput:
            is_schedule = False  # the notice loader reports it
        (schedules if is_schedule else notices).append(path)
    return notices, schedules


def _check_schedule(path: Path) -> list:
    """Check one schedule, say ok; its warnings (and its notices') are returned."""
    from broadcaster.player.check import check_schedule

    schedule = check_schedule(path)
    click.echo(_("ok  {path}  (schedule: {channels} channel(s), {programs} program(s))").format(
        path=path, channels=len(schedule.channels), programs=len(schedule.programs)))
    return list(schedule.warnings)


def _render_villages(files: tuple[str, ...], villages: str, out_dir: str, engine: str, profile: str,
                     jobs: int | None, quiet: bool, as_json: bool, cluster: str | None = None) -> None:
    import time

    from broadcaster.batch import read_villages, render_batch

    if len(files) != 1:
        raise click.UsageError(_("--villages renders one notice: give exactly one notice file"))
    total = len(read_villages(Path(villages)))
    done = {"n": 0}
    started = time.monotonic()
    interactive = sys.stderr.isatty() and not quiet and not as_json
    progress = task = None
    if interactive:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        progress = Progress(TextColumn(_("villages")), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), transient=True)
        task = progress.add_task("render", total=total, rate="")
        progress.start()

    def on_row(r) -> None:
        done["n"] += 1
        rate = done["n"] / max(time.monotonic() - started, 1e-6)
        if progress is not None:
            progress.update(task, advance=1, rate=f"{rate:.1f}/s")
        elif not quiet and not as_json and (done["n"] % max(1, total // 10) == 0 or done["n"] == total):
            click.echo(_("{done}/{total} villages ({rate:.1f}/s)").format(done=done["n"], total=total, rate=rate),
                       err=True)

    try:
        results = render_batch(Path(files[0]), Path(villages), Path(out_dir), jobs, engine, profile, on_row, cluster)
    finally:
        if progress is not None:
            progress.stop()
    failed = [r for r in results if r.status == "failed"]
    counts = {s: sum(r.status == s for r in results) for s in ("rendered", "unchanged", "failed")}
    if as_json:
        echo_json({"counts": counts, "failed": [r.message for r in failed]})
    else:
        click.echo(_("{rendered} rendered, {unchanged} unchanged, {failed} failed in {seconds:.1f} s; "
                     "{folder}/manifest.json lists them").format(**counts, seconds=time.monotonic() - started,
                                                                 folder=out_dir))
    for r in failed:
        click.echo(r.message, err=True)
    if failed:
        raise click.exceptions.Exit(ExitStatus.BAD_INPUT if all(r.bad_input for r in failed) else ExitStatus.FAILED)


@click.command("check")
@click.argument("files", nargs=-1, required=True)
@click.option("--strict", is_flag=True, help="Count warnings (a date already past...) as mistakes: exit 2.")
def check_command(files: tuple[str, ...], strict: bool = False) -> None:
    """Check notices, jingles and schedules for mistakes; writes nothing.

    \b
    Example:
      broadcaster check examples/notices/*.yaml
    Every mistake of every file is listed at once, one line each, in the order of the lines; then
    the exit status is 2. Warnings (注意：), such as a date already past, are listed too but leave
    the exit status 0, unless --strict.
    """
    from broadcaster.errors import BadInputs
    from broadcaster.examine import examine_all

    paths, schedules = _split_schedules(expand(files))
    errors: list[BadInput] = []
    beside: list = []  # the warnings of files with mistakes: said among them, in the order of the lines
    said: set[str] = set()  # a notice's warning is said once, though a schedule checked with it names it too

    def say(items) -> None:
        for item in items:
            if item.message() not in said:
                said.add(item.message())
                click.echo(item.shown(), err=True)

    for found in examine_all(paths):
        if found.errors:
            errors += found.errors
            beside += found.warnings
            continue
        p = found.prepared
        line = (_("ok  {path}  (jingle '{id}', voice {voice})") if p.notice.kind == "jingle"
                else _("ok  {path}  (notice '{id}', voice {voice})"))
        click.echo(line.format(path=p.notice.path, id=p.notice.id, voice=p.voice.name))
        say(found.warnings)
        if p.notice.kind == "jingle":
            _echo_jingle_summary(p.notice, p.voice)
    for path in schedules:
        try:
            say(_check_schedule(path))
        except BadInput as exc:
            errors.append(exc)
    if errors:
        raise BadInputs(errors, [w for w in beside if w.message() not in said])
    if strict and said:
        raise click.exceptions.Exit(ExitStatus.BAD_INPUT)  # the warnings said above are the mistakes


def _echo_jingle_summary(notice, voice) -> None:
    """`broadcaster check` on a jingle: its rhyme summary and warnings (rhymes never fail `check`)."""
    from broadcaster.jingle.check import check_jingle

    report = check_jingle(notice, voice=voice)
    line = (_("rhyme: {summary}") if report.rhymes_ok
            else _("rhyme: {summary} — see `broadcaster jingle check {path}`"))
    click.echo("    " + line.format(summary=report.summary(), path=notice.path))
    for warning in report.warnings:
        click.echo("    " + _("warning: {message}").format(message=warning), err=True)


@click.command("say")
@click.argument("text")
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Audio file to write (.mp3 or .wav).")
@click.option("--voice", default=None, help="Voice profile (see `broadcaster voices`).")
@engine_option()
@trims_cache
def say_command(text: str, out: str, voice: str | None, engine: str) -> None:
    """Speak one line of text into an audio file.

    \b
    Example:
      broadcaster say "各位村民请注意，今天下午三点在村委会门口发放物资。" -o test.mp3
    """
    from broadcaster.render import say_text

    result = say_text(text, Path(out), voice=voice, engine=engine)
    click.echo(_("wrote {file} ({seconds:.1f} s, {engine}, voice {voice}: {heard})").format(
        file=out, seconds=result.duration, engine=result.engine, voice=result.voice, heard=_heard(result)))


def _heard(rendered) -> str:
    """Which voice spoke and whether it was the dialect's own, Mandarin, Mandarin with the profile's accent
    or an own recording, e.g. "dialect voice yue", "川渝口音（普通话声音 zm_yunxi + 本地词）"; for a
    notice read in turns, each reading's."""
    if rendered.readings:
        return _("; ").join(_("reading {n}: {voice}, {heard}").format(n=r["n"], voice=r["voice"], heard=r["heard"])
                            if r["voice"] else _("reading {n}: {heard} {file}").format(n=r["n"], heard=r["heard"],
                                                                                        file=r.get("recording", ""))
                            for r in rendered.readings)
    if rendered.spoken_as == "recording":
        return _("own recording")
    return rendered.heard


def _recorded(rendered) -> str:
    """The recordings in a program and who wrote their words down, e.g. " + 1 own recording, words heard by
    machine (a draft)"; "" when it has none."""
    count = sum(part.get("spoken_as") == "recording" for part in rendered.made_of)
    if not count:
        return ""
    words = {"machine": _("words heard by machine (a draft)"),
             "not checked": _("words not checked")}.get(rendered.transcript_source, _("words as written"))
    if rendered.spoken_as == "recording" or any(r["voice"] == "" for r in rendered.readings):
        return _(", {words}").format(words=words)  # the readings already name the recording
    return " " + ngettext("+ {n} own recording, {words}", "+ {n} own recordings, {words}", count).format(
        n=count, words=words)


def _dialect_notes(done: list) -> list[str]:
    """Once per dialect: what the listeners heard when no voice of its own spoke it, and the way to air it
    for real (a recording)."""
    from broadcaster.speech.accent import load_accent
    from broadcaster.speech.voices import all_profiles

    profiles = all_profiles()
    notes: dict[str, str] = {}
    for r in done:
        profile = profiles.get(r.voice)
        if profile is None or not profile.dialect or profile.dialect in notes or r.spoken_as == "recording":
            continue
        if any(part.get("spoken_as") == "recording" for part in r.made_of):
            continue  # the official's own voice is on air
        if r.spoken_as == "accent":
            notes[profile.dialect] = _("note: no voice here speaks {dialect}: a Mandarin voice read its words with "
                                       "the {accent}, an accent, not {dialect} itself. To put {dialect} on air, "
                                       "record the notice in your own voice (`recording:`, see docs/recordings.md)"
                                       ).format(dialect=profile.dialect, accent=load_accent(r.accent).label)
        elif r.spoken_as != "dialect":
            notes[profile.dialect] = _("note: no voice here speaks {dialect}: a Mandarin voice read its words. To put "
                                       "{dialect} itself on air, record the notice in your own voice "
                                       "(`recording:`, see docs/recordings.md)").format(dialect=profile.dialect)
        elif r.engine == "espeak":
            notes[profile.dialect] = _("note: eSpeak's {dialect} voice is the offline fallback and sounds robotic; "
                                       "a recording in your own voice sounds better (`recording:`, see "
                                       "docs/recordings.md)").format(dialect=profile.dialect)
    return list(notes.values())


@click.command("normalize")
@click.argument("text")
@click.option("--voice", default=None, help="Voice profile whose dialect words apply (see `broadcaster voices`).")
@click.option("--engine", type=click.Choice([e for e in ENGINES if e != "auto"]), default=None,
              help="Also apply the pronunciation fixes in this engine's form.")
@click.option("--lexicon", "lexicon", type=click.Path(dir_okay=False), default=None,
              help="Also apply a folder's lexicon.yaml (its words and pronunciations).")
@click.option("--clock", type=click.Choice(["12", "24"]), default=None,
              help="12: times with the part of the day (下午五点); 24: as written (十七点). Default: the voice's.")
@click.option("--json", "as_json", is_flag=True, help="Also show each step and every rewrite.")
def normalize_command(text: str, voice: str | None, engine: str | None, lexicon: str | None, clock: str | None,
                      as_json: bool) -> None:
    """Print exactly the text the engine will be given (TEXT '-' reads standard input).

    \b
    Examples:
      broadcaster normalize "核酸检测时间7:30-10:00，咨询电话13911112222"
        -> 核酸检测时间上午七点半到十点，咨询电话幺三九幺幺幺幺二二二二
      broadcaster normalize "开放时间8:00-17:00"
        -> 开放时间早上八点到下午五点
      broadcaster normalize --clock 24 "开放时间8:00-17:00"
        -> 开放时间八点到十七点
      broadcaster normalize --voice sichuan_chongqing "不要出门，在家里待着"
        -> 莫出门，在屋头待着
      broadcaster normalize --voice cantonese "我们现在不要出门"
      broadcaster normalize --engine edge "已接种疫苗"      # homophones for the online voice
      broadcaster normalize --json "体温37.3℃以上"
      broadcaster normalize --json --engine kokoro --voice sichuan_chongqing "请大家不要出门"   # the 川渝 accent's pinyin
      broadcaster normalize --lexicon village/lexicon.yaml --engine edge "曾家村的村民"
    An invalid time or date (25:00, 2月30日) is refused with exit 2.
    """
    from broadcaster.speech.spoken import spoken_text
    from broadcaster.speech.voices import get_profile

    if text == "-":
        text = sys.stdin.read().strip()
    profile = get_profile(voice)
    if clock:
        from dataclasses import replace
        profile = replace(profile, clock=int(clock))
    words, sounds = (), ()
    if lexicon:
        from broadcaster.speech.lexicon import load_user_lexicon
        if not Path(lexicon).is_file():
            raise BadInput(_("no lexicon file '{path}'").format(path=lexicon), _("give the path of a lexicon.yaml"))
        user = load_user_lexicon(Path(lexicon))
        words, sounds = user.words_for(profile.name), user.pronounce
    result = spoken_text(text, profile, words, engine=engine, extra_pronunciations=sounds)
    if as_json:
        doc = {"text": result.text, "written": result.written, "voice": profile.name, "engine": engine,
               "steps": [{"step": s, "text": t} for s, t in result.steps],
               "rewrites": [{"rule": h.rule, "written": h.written, "spoken": h.spoken} for h in result.hits]}
        if engine:  # what the voice reads: a pinyin voice's syllables after tone sandhi or the accent (and phonemes)
            from broadcaster.engines.base import get_engine
            doc.update(get_engine(engine).reading(result.text, sounds, profile.accent_for(engine)))
        if profile.accent is not None:  # the profile's accent, and whether this engine says it
            said = bool(engine) and profile.accent_for(engine) is not None
            doc["accent"] = {**profile.accent.choice(), "said": said,
                             "heard": profile.accent_label(engine) if said else
                             profile.accent_skipped(engine) if engine else
                             _("said by the voices that read pinyin (kokoro, neural): add --engine kokoro")}
        echo_json(doc)
    else:
        click.echo(result.text)


@click.command("templates")
@click.option("--json", "as_json", is_flag=True)
def templates_command(as_json: bool) -> None:
    """List the built-in notice templates and their variables.

    \b
    Use one in a notice with `template: NAME` and fill its variables under `vars:`.
    """
    from broadcaster.script import builtin_templates

    infos = builtin_templates()
    if as_json:
        echo_json([{"name": t.name, "title": t.title, "description": t.description,
                    "vars": t.required, "optional": t.optional} for t in infos])
        return
    for t in infos:
        click.echo(f"{t.name}  {t.title}")
        if t.description:
            click.echo(f"    {t.description}")
        for name, meaning in t.required.items():
            click.echo(f"    {name:12s} {meaning}")
        for name, meaning in t.optional.items():
            click.echo(f"    {name:12s} " + _("{meaning} (optional)").format(meaning=meaning))


@click.command("export-card")
@click.argument("files", nargs=-1, required=True)
@click.option("-o", "--out", "target", required=True, type=click.Path(file_okay=False),
              help="The card's folder, e.g. /media/TF or E:\\.")
@engine_option("Speech engine for notice files.")
@click.option("--replace", is_flag=True, help="Remove the NNN_*.mp3 files of an earlier export first.")
@click.option("--json", "as_json", is_flag=True, help="Print the tracks as JSON.")
def export_card_command(files: tuple[str, ...], target: str, engine: str, replace: bool, as_json: bool) -> None:
    """Write notices (or finished audio) to a USB/TF card for MP3 loop players.

    \b
    Files are converted to the loop-player profile (MP3 44.1 kHz 128k CBR mono, no tags,
    0.4 s of silence first), named 001_<id>.mp3, 002_... in the order given, and copied
    one by one in that order, because the players play in the order files were written.
    PLAYLIST.txt lists the numbers with their titles.

    \b
    Examples:
      broadcaster export-card hesuan.yaml fanxiang.yaml -o /media/TF
      broadcaster export-card out/hesuan-round8.mp3 out/closed.mp3 -o /media/TF
      broadcaster export-card notices/ -o /media/TF --replace
    Refuses, before writing anything, when the card is read-only or too small.
    """
    from broadcaster.card import export_card

    paths = [p for f in files for p in (expand((f,)) if Path(f).is_dir() else [Path(f)])]

    def report(t) -> None:
        if not as_json:
            click.echo(f"{t.name}  {t.duration:6.1f} s  {t.title}")

    result = export_card(paths, Path(target), engine=engine, replace=replace, on_track=report)
    if as_json:
        from dataclasses import asdict
        echo_json({"target": str(result.target), "playlist": result.playlist.name,
                   "tracks": [asdict(t) for t in result.tracks]})
    else:
        click.echo(ngettext("wrote {n} file, {mb:.1f} MB, and {playlist} to {target}",
                            "wrote {n} files, {mb:.1f} MB, and {playlist} to {target}", len(result.tracks))
                   .format(n=len(result.tracks), mb=result.total_bytes / 1e6, playlist=result.playlist.name,
                           target=target))


@click.command("profiles")
@click.option("--json", "as_json", is_flag=True)
def profiles_command(as_json: bool) -> None:
    """List the output profiles for `render --profile` (loudness, format, program parts).

    \b
    Example:
      broadcaster profiles
      broadcaster render hesuan.yaml -o out/ --profile truck
    """
    from dataclasses import asdict

    from broadcaster.audio.profiles import all_output_profiles

    profiles = all_output_profiles()
    if as_json:
        echo_json([asdict(p) for p in profiles.values()])
        return
    for p in profiles.values():
        fmt = f"{p.format} {p.sample_rate} Hz" + (f" {p.bitrate}" if p.format == "mp3" else "")
        parts = [name for name in ("chime", "lead", "closing_chime") if getattr(p.program, name)]
        line = (_("{name:12s} {lufs:g} LUFS, peak <= {peak:g} dBTP, {format}") if p.tags or p.format != "mp3"
                else _("{name:12s} {lufs:g} LUFS, peak <= {peak:g} dBTP, {format}, no tags"))
        click.echo(line.format(name=p.name, lufs=p.target_lufs, peak=p.true_peak, format=fmt)
                   + f"  [{', '.join(parts)}]")
        if p.description:
            click.echo(f"    {p.description}")
