"""The command line: parses options, calls one function, prints, maps errors to exit codes.

The only module that imports click. Errors are caught in `main` alone (httpie's split:
`main` maps errors to exit statuses, `cli` does the work; `--traceback` re-raises).
"""
from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path

import click

from broadcaster import __version__
from broadcaster.errors import BadInput, BroadcasterError, ExitStatus
from broadcaster.i18n import _, ngettext, translate_click
from broadcaster.notice import ENGINES, JINGLE_FORMS


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status. Only here are errors turned into messages."""
    argv = list(sys.argv[1:] if argv is None else argv)
    traceback = "--traceback" in argv
    translate_click()
    _localize_help(cli)
    try:
        # without standalone mode click returns (not raises) a command's Exit status
        status = cli.main(args=argv, prog_name="broadcaster", standalone_mode=False)
        return int(status) if isinstance(status, int) else ExitStatus.OK.value
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo(_("aborted"), err=True)
        return ExitStatus.INTERRUPTED.value
    except click.UsageError as exc:
        if traceback:
            raise
        hint = _(" — see `{command} --help`").format(command=exc.ctx.command_path) if exc.ctx else ""
        click.echo(_("error: {message}").format(message=exc.format_message()) + hint, err=True)
        return ExitStatus.BAD_INPUT.value
    except click.ClickException as exc:
        if traceback:
            raise
        click.echo(_("error: {message}").format(message=exc.format_message()), err=True)
        return ExitStatus.BAD_INPUT.value
    except BroadcasterError as exc:
        if traceback:
            raise
        for line in exc.lines():  # BadInputs: one line each
            click.echo(line if isinstance(exc, BadInput) else _("error: {message}").format(message=line), err=True)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        click.echo(_("interrupted"), err=True)
        return ExitStatus.INTERRUPTED.value
    except OSError as exc:  # the disk or the system refused (read-only, full, no permission): not a bug
        if traceback:
            raise
        from broadcaster.fsutil import os_error_line
        click.echo(_("error: {message}").format(message=os_error_line(exc)), err=True)
        return ExitStatus.FAILED.value
    except Exception as exc:  # a bug of ours: one line, and the way to a full report
        if traceback:
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        click.echo(_("internal error: {kind}: {message} — please report it; "
                     "run again with --traceback for details").format(kind=type(exc).__name__, message=first),
                   err=True)
        return ExitStatus.FAILED.value


def _localize_help(command: click.Command) -> None:
    """Put every command's and option's help in the user's language (kept in English in the source)."""
    for obj in [command, *command.params]:
        for attr in ("help", "short_help", "epilog"):
            source = obj.__dict__.setdefault(f"_source_{attr}", getattr(obj, attr, None))
            if source:
                setattr(obj, attr, _(source))
    if hasattr(command, "_help_option"):
        command._help_option = None  # click caches --help's own option text in the first language asked
    for sub in getattr(command, "commands", {}).values():
        _localize_help(sub)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="broadcaster")
@click.option("--traceback", is_flag=True, help="Show the Python traceback on errors (for bug reports).")
def cli(traceback: bool) -> None:
    """Village notices and jingles in YAML -> clear speech audio for loudspeakers.

    \b
    Quick start:
      broadcaster templates                       # what notices can say
      broadcaster check notices/hesuan.yaml       # find mistakes, write nothing
      broadcaster render notices/*.yaml -o out/   # out/<id>.mp3, .txt, manifest.json
      broadcaster say "各位村民请注意" -o test.mp3
    """


def _expand(files: tuple[str, ...]) -> list[Path]:
    """Files as given; a folder means every notice .yaml in it."""
    from broadcaster.render import is_folder_file
    out: list[Path] = []
    for f in files:
        p = Path(f)
        if p.is_dir():
            out.extend(q for q in sorted(p.glob("*.yaml")) if not is_folder_file(q))
        elif not is_folder_file(p):
            out.append(p)
    return out


# ---------------------------------------------------------------- render / check / say
def _trims_cache(command):
    """After the command, trim the clip cache to its limit (the limit is checked before any work)."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from broadcaster.config import cache_settings

        limit = int(cache_settings().max_mb * 1e6)
        try:
            return command(*args, **kwargs)
        finally:
            from broadcaster.engines.cache import CACHE
            CACHE.trim(limit)
    return wrapper


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for <id>.mp3, <id>.txt and manifest.json.")
@click.option("--engine", type=click.Choice(ENGINES), default="auto",
              show_default=True, help="Speech engine; auto tries edge, kokoro, neural, then espeak.")
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
@_trims_cache
def render(files: tuple[str, ...], out_dir: str, engine: str, fmt: str | None, as_json: bool,
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
            raise click.UsageError("--verify does not apply with --villages: run `broadcaster verify` on "
                                   "the villages' folders afterwards")
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
            click.echo(f"{r.file}  {r.duration:6.1f} s  {level}{r.engine:7s} {r.voice} ({_heard(r)})  {r.title}"
                       + ("  " + _("({reason})").format(reason=skipped) if skipped else ""))

    threshold = _min_heard(min_heard) if verify else None
    if verify:  # a missing listener is said before any rendering, not after
        from broadcaster.listen import ListenerUnavailable, available
        if not available()[0]:
            raise ListenerUnavailable(available()[1])
    done, failed = render_files(_expand(files), options, on_done=report)
    verdicts = _listen_and_report([Path(out_dir) / r.file for r in done], True) if verify and as_json and done else []
    if as_json:
        from dataclasses import asdict
        click.echo(json.dumps({"rendered": [asdict(r) for r in done], "failed": [str(e) for e in failed]}
                              | ({"verified": [v.as_dict() for v in verdicts]} if verify else {}),
                              ensure_ascii=False, indent=2))
    for exc in failed:
        click.echo(_("error: {message}").format(message=exc), err=True)
    if done and not as_json:
        click.echo(ngettext("wrote {n} program to {folder}/ (manifest.json lists it)",
                            "wrote {n} programs to {folder}/ (manifest.json lists them)", len(done))
                   .format(n=len(done), folder=out_dir))
        if verify:
            verdicts = _listen_and_report([Path(out_dir) / r.file for r in done], False)
    if failed:
        raise click.exceptions.Exit(ExitStatus.FAILED)
    _fail_below(verdicts, threshold)


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


def _check_schedule(path: Path) -> None:
    from broadcaster.schedule.media import check_schedule

    schedule = check_schedule(path)
    click.echo(_("ok  {path}  (schedule: {channels} channel(s), {programs} program(s))").format(
        path=path, channels=len(schedule.channels), programs=len(schedule.programs)))


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
        click.echo(json.dumps({"counts": counts, "failed": [r.message for r in failed]}, ensure_ascii=False,
                              indent=2))
    else:
        click.echo(_("{rendered} rendered, {unchanged} unchanged, {failed} failed in {seconds:.1f} s; "
                     "{folder}/manifest.json lists them").format(**counts, seconds=time.monotonic() - started,
                                                                 folder=out_dir))
    for r in failed:
        click.echo(r.message, err=True)
    if failed:
        raise click.exceptions.Exit(ExitStatus.BAD_INPUT if all(r.bad_input for r in failed) else ExitStatus.FAILED)


@cli.command()
@click.argument("files", nargs=-1, required=True)
def check(files: tuple[str, ...]) -> None:
    """Check notices, jingles and schedules for mistakes; writes nothing.

    \b
    Example:
      broadcaster check examples/notices/*.yaml
    Exit 0 when all are fine, 2 with one line per mistake otherwise.
    """
    from broadcaster.errors import BadInputs
    from broadcaster.render import load_all

    paths, schedules = _split_schedules(_expand(files))
    prepared, errors = load_all(paths)
    for path in schedules:
        try:
            _check_schedule(path)
        except BadInput as exc:
            errors.append(exc)
    if errors:
        raise BadInputs(errors)
    for p in prepared:
        line = (_("ok  {path}  (jingle '{id}', voice {voice})") if p.notice.kind == "jingle"
                else _("ok  {path}  (notice '{id}', voice {voice})"))
        click.echo(line.format(path=p.notice.path, id=p.notice.id, voice=p.voice.name))
        if p.notice.kind == "jingle":
            _echo_jingle_summary(p.notice, p.voice)


@cli.command()
@click.argument("text")
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Audio file to write (.mp3 or .wav).")
@click.option("--voice", default=None, help="Voice profile (see `broadcaster voices`).")
@click.option("--engine", type=click.Choice(ENGINES), default="auto",
              show_default=True)
@_trims_cache
def say(text: str, out: str, voice: str | None, engine: str) -> None:
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
    """Which voice spoke and whether it was the dialect's own or Mandarin, e.g. "dialect voice yue"."""
    if not rendered.engine_voice:
        return _("dialect voice") if rendered.spoken_as == "dialect" else _("Mandarin voice")
    if rendered.spoken_as == "dialect":
        return _("dialect voice {voice}").format(voice=rendered.engine_voice)
    return _("Mandarin voice {voice}").format(voice=rendered.engine_voice)


@cli.command()
@click.argument("text")
@click.option("--voice", default=None, help="Voice profile whose dialect words apply (see `broadcaster voices`).")
@click.option("--engine", type=click.Choice([e for e in ENGINES if e != "auto"]), default=None,
              help="Also apply the pronunciation fixes in this engine's form.")
@click.option("--lexicon", "lexicon", type=click.Path(dir_okay=False), default=None,
              help="Also apply a folder's lexicon.yaml (its words and pronunciations).")
@click.option("--json", "as_json", is_flag=True, help="Also show each step and every rewrite.")
def normalize(text: str, voice: str | None, engine: str | None, lexicon: str | None, as_json: bool) -> None:
    """Print exactly the text the engine will be given (TEXT '-' reads standard input).

    \b
    Examples:
      broadcaster normalize "核酸检测时间7:30-10:00，咨询电话13911112222"
        -> 核酸检测时间七点半到十点，咨询电话幺三九幺幺幺幺二二二二
      broadcaster normalize --voice sichuan_chongqing "不要出门，在家里待着"
        -> 莫出门，在屋头待着
      broadcaster normalize --voice cantonese "我们现在不要出门"
      broadcaster normalize --engine edge "已接种疫苗"      # homophones for the online voice
      broadcaster normalize --json "体温37.3℃以上"
      broadcaster normalize --lexicon village/lexicon.yaml --engine edge "曾家村的村民"
    An invalid time or date (25:00, 2月30日) is refused with exit 2.
    """
    from broadcaster.speech.spoken import spoken_text
    from broadcaster.speech.voices import get_profile

    if text == "-":
        text = sys.stdin.read().strip()
    profile = get_profile(voice)
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
        from broadcaster.engines.base import get_engine
        if engine == "kokoro":  # what the Kokoro voice reads: the front end's pinyin after tone sandhi
            from broadcaster.engines import kokoro
            pieces = kokoro.plan(result.text, sounds)
            doc["pinyin"] = re.findall(r"[a-zü]+[1-5]", " ".join(p.pinyin for p in pieces))  # one per syllable
            doc["phonemes"] = [p.phonemes for p in pieces]
        elif engine and getattr(get_engine(engine), "takes_pinyin", False):
            from broadcaster.speech.pinyin import mandarin_pinyin  # what a pinyin-reading voice is given
            doc["pinyin"] = mandarin_pinyin(result.text, sounds)
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        click.echo(result.text)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def templates(as_json: bool) -> None:
    """List the built-in notice templates and their variables.

    \b
    Use one in a notice with `template: NAME` and fill its variables under `vars:`.
    """
    from broadcaster.script import builtin_templates

    infos = builtin_templates()
    if as_json:
        click.echo(json.dumps([{"name": t.name, "title": t.title, "description": t.description,
                                "vars": t.required, "optional": t.optional} for t in infos],
                              ensure_ascii=False, indent=2))
        return
    for t in infos:
        click.echo(f"{t.name}  {t.title}")
        if t.description:
            click.echo(f"    {t.description}")
        for name, meaning in t.required.items():
            click.echo(f"    {name:12s} {meaning}")
        for name, meaning in t.optional.items():
            click.echo(f"    {name:12s} " + _("{meaning} (optional)").format(meaning=meaning))


def _engine_info(name: str) -> dict:
    """An engine's licence and speakers (male/female and named), for `voices`."""
    from broadcaster.engines.base import get_engine
    from broadcaster.errors import EngineUnavailable

    try:
        engine = get_engine(name)
    except EngineUnavailable:
        return {"licence": "", "speakers": {}}
    speakers = engine.speakers() if hasattr(engine, "speakers") else {}
    licence = str(getattr(engine, "licence", "") or "")
    sexes = {"female": _("female"), "male": _("male")}
    return {"licence": _(licence) if licence else "",
            "speakers": {name: sexes.get(sex, sex) for name, sex in speakers.items()}}


def _engine_note(name: str) -> str:
    """What users must know wherever an engine is offered (e.g. the neural voice's licence)."""
    from broadcaster.engines.base import get_engine
    from broadcaster.errors import EngineUnavailable

    try:
        note = str(getattr(get_engine(name), "note", "") or "")
        return _(note) if note else ""
    except EngineUnavailable:
        return ""


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def voices(as_json: bool) -> None:
    """List voice profiles and which engines can speak here."""
    from broadcaster.engines.base import available_engines
    from broadcaster.speech.voices import all_profiles

    engines = available_engines()
    profiles = all_profiles()
    if as_json:
        click.echo(json.dumps({
            "engines": [{"name": n, "available": ok, "reason": why, "note": _engine_note(n), **_engine_info(n)}
                        for n, ok, why in engines],
            "voices": [{"name": p.name, "display": p.display, "region": p.region, "dialect": p.dialect,
                        "rate": p.rate, "lead": p.lead, "lexicon_words": len(p.lexicon), "speaker": p.speaker,
                        "engines": {e: p.engine_settings(e) for e in p.engines}, "stand_in": p.stand_in,
                        "heard": {e: p.honest(e) for e in p.engines}} for p in profiles.values()]},
            ensure_ascii=False, indent=2))
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


@cli.command("install-voices")
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


# ---------------------------------------------------------------- jingles (顺口溜)
def _echo_jingle_summary(notice, voice) -> None:
    """`broadcaster check` on a jingle: its rhyme summary and warnings (rhymes never fail `check`)."""
    from broadcaster.jingle.check import check_jingle

    report = check_jingle(notice, voice=voice)
    line = (_("rhyme: {summary}") if report.rhymes_ok
            else _("rhyme: {summary} — see `broadcaster jingle check {path}`"))
    click.echo("    " + line.format(summary=report.summary(), path=notice.path))
    for warning in report.warnings:
        click.echo("    " + _("warning: {message}").format(message=warning), err=True)


_STYLES = {"ok": {"fg": "green"}, "warn": {"fg": "yellow"}, "bad": {"fg": "red", "bold": True}}


@cli.group()
def jingle() -> None:
    """Rhyming jingles (顺口溜): check their rhymes, compose new ones from the bank.

    \b
    Examples:
      broadcaster jingle check examples/jingles/qianjiang-337.yaml --rhyme dialect
      broadcaster jingle compose --form 三三七 --topics 口罩,洗手,聚集 --place 黔江 -o jingle.yaml
      broadcaster jingle topics
    """


@jingle.command("check")
@click.argument("file")
@click.option("--form", type=click.Choice(JINGLE_FORMS), default=None,
              help="Check against this form (default: the file's `form:`, else guessed).")
@click.option("--rhyme", "strictness", type=click.Choice(["strict", "group", "dialect"]), default="group",
              show_default=True, help="strict: same rhyme; group: same 十三辙 group; dialect: also rhymes "
              "only in the voice's dialect (川渝).")
@click.option("--voice", default=None, help="Read it as this voice profile (default: the file's voice).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def jingle_check(file: str, form: str | None, strictness: str, voice: str | None, as_json: bool) -> None:
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
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for style, text in render_text(report):
            click.echo(click.style(text, **_STYLES.get(style, {})))
    if not report.ok:
        raise click.exceptions.Exit(ExitStatus.FAILED)


@jingle.command("compose")
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
def jingle_compose(form: str, topics: str, place: str, who: str, n_lines: int | None, voice: str | None,
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
    import re

    from broadcaster.fsutil import write_text
    from broadcaster.jingle.compose import compose
    from broadcaster.speech.voices import get_profile

    profile = get_profile(voice)
    names = [t for t in re.split(r"[,，、\s]+", topics) if t]
    result = compose(form, names, place=place, lines=n_lines, voice=profile, seed=seed,
                     strictness=strictness, who=who)
    if jingle_id is None and out:
        stem = re.sub(r"[^a-z0-9_-]+", "-", Path(out).stem.lower()).strip("-")
        jingle_id = stem or None
    text = result.to_yaml(jingle_id, title)
    if out:
        write_text(out, text)
    if as_json:
        click.echo(json.dumps({"file": out, "lines": list(result.lines), "seed": seed,
                               "report": result.report.to_dict()}, ensure_ascii=False, indent=2))
    elif out:
        click.echo(_("wrote {path}: {summary}").format(path=out, summary=result.report.summary()))
    else:
        click.echo(text, nl=False)
    for warning in result.report.warnings:
        click.echo(_("warning: {message}").format(message=warning), err=True)


@jingle.command("topics")
@click.option("--json", "as_json", is_flag=True)
def jingle_topics(as_json: bool) -> None:
    """List the bank's topics (with other names they answer to) and how many lines each has."""
    from broadcaster.jingle.bank import topics

    rows = [{"topic": t.name, "aliases": list(t.aliases), "openings": len(t.openings), "lines": len(t.lines),
             "half": len(t.half)} for t in topics()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['topic']:4s}  " + _("三三七 openings {openings:2d}  7-character lines {lines:2d}  "
                                           "half lines {half:2d}  (also: {aliases})").format(
            openings=r["openings"], lines=r["lines"], half=r["half"], aliases="、".join(r["aliases"])))


# ---------------------------------------------------------------- on air: run / play / log / sinks
_LOG_HELP = "As-run log database (default: asrun.sqlite in your data folder)."


def _log_path(path: str | None) -> Path:
    from broadcaster.player.control import default_log_path
    return Path(path) if path else default_log_path()


def _named_sinks() -> dict[str, object]:
    """The sinks config.yaml defines by name (the only place, with --sink, for `command`)."""
    from broadcaster.config import named_sinks
    from broadcaster.player.sinks import check_named

    conf, where = named_sinks()
    return check_named(conf, where)


def _print_event(event, as_json: bool, timezone: str = "Asia/Shanghai") -> None:
    from broadcaster.player.control import local_time

    if as_json:
        click.echo(json.dumps({"at": event.at, "level": event.level, "channel": event.channel,
                               "kind": event.kind, "message": event.message}, ensure_ascii=False))
        return
    where = f" [{event.channel}]" if event.channel else ""
    line = f"{local_time(event.at, timezone)}{where} {event.message}"
    if event.level == "info":
        click.echo(line)
    elif event.level == "warn":
        click.echo(_("WARN: {line}").format(line=line), err=True)
    else:
        click.echo(_("ERROR: {line}").format(line=line), err=True)


def _serve(daemon, until: float | None = None) -> None:
    """Run a daemon in the foreground; SIGTERM and SIGINT stop it cleanly (plays logged interrupted)."""
    import signal

    def stop(signum, _frame) -> None:
        daemon.stop(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        daemon.run(until=until)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@cli.command("run")
@click.argument("schedule", type=click.Path(dir_okay=False))
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help=_LOG_HELP)
@click.option("--channel", "channels", multiple=True, help="Serve only this channel (repeatable).")
@click.option("--grace", default="10m", show_default=True,
              help="A slot missed by less than this (after a restart) is played late, only the latest of each "
                   "notice; older ones are logged missed.")
@click.option("--for", "run_for", default=None, help="Stop after this long (e.g. 90s, 2h); default: until stopped.")
@click.option("--sink", "sinks", multiple=True, metavar="CHANNEL=SINK",
              help="Override a channel's sink, e.g. --sink village=aplay, --sink village=file:out/onair "
                   "or --sink 'village=[command, cvlc, --play-and-exit, \"{file}\"]'.")
@click.option("--json", "as_json", is_flag=True, help="Print events as JSON lines.")
@click.option("--gpsd", "gpsd", default="127.0.0.1:2947", show_default=True, metavar="HOST:PORT",
              help="gpsd to ask where the truck is (routes whose stops have positions).")
@click.option("--gps-timeout", "gps_timeout", default="60s", show_default=True,
              help="With no GPS fix for this long, route stops play at their clock times.")
def run_cmd(schedule: str, log_path: str | None, channels: tuple[str, ...], grace: str, run_for: str | None,
            sinks: tuple[str, ...], as_json: bool, gpsd: str, gps_timeout: str) -> None:
    """Play a schedule on air: each item at its time on its channel's sink, logged as it airs.

    \b
    Examples:
      broadcaster run schedule.yaml                     # until Ctrl-C or SIGTERM
      broadcaster run schedule.yaml --channel village --log /var/lib/broadcaster/asrun.sqlite
      broadcaster run schedule.yaml --for 2h --grace 5m
      broadcaster plan schedule.yaml --json > plan.json && broadcaster run plan.json --sink village=aplay
    \b
    The channel's `sink:` in the schedule says where audio goes: aplay, paplay, pw-play,
    ffplay, mpg123 (or a list with their output device, e.g. [aplay, -D, "plughw:1,0"]),
    file:DIR for a dry run, null, auto, or a name from config.yaml `sinks:` (the only
    place, with --sink, for a `command` sink: a schedule cannot run programs). Edits to
    the schedule are picked up while it runs; a broken edit is reported and the previous plan keeps playing. After a restart
    nothing plays twice: of the slots missed by less than --grace, the latest of each notice
    plays late (unless it is due again within 5 min), older ones are logged missed, and
    nothing from before the player first served a channel is played. Break in with
    `broadcaster play`; report with `broadcaster log`.
    """
    from broadcaster.player.asrun import AsRunLog
    from broadcaster.player.control import parse_duration
    from broadcaster.player.daemon import Daemon, Settings
    from broadcaster.player.sinks import from_option
    from broadcaster.player.source import ScheduleSource

    settings = Settings(grace=parse_duration(grace, "--grace"), channels=tuple(channels))
    limit = parse_duration(run_for, "--for") if run_for else None
    named = _named_sinks()
    overrides: dict[str, object] = {}
    for item in sinks:
        name, sep, spec = item.partition("=")
        if not sep or not name.strip():
            raise BadInput(_("--sink '{value}' names no channel").format(value=item),
                           _("write --sink CHANNEL=SINK, e.g. --sink village=aplay"))
        overrides[name.strip()] = from_option(spec, named)
    source = ScheduleSource(Path(schedule), sinks=overrides, named=named)
    daemon = Daemon(source, AsRunLog(_log_path(log_path)), settings=settings,
                    on_event=lambda e: _print_event(e, as_json, daemon.tz.key),
                    route=_route_player(gpsd, gps_timeout))
    import time as _time
    _serve(daemon, until=_time.time() + limit if limit is not None else None)


def _route_player(gpsd: str, timeout: str):
    """The GPS side of `run`: it connects to gpsd only once the plan has a route with positions."""
    from broadcaster.i18n import _
    from broadcaster.player.control import parse_duration
    from broadcaster.player.position import GpsdClient, RoutePlayer, RouteSettings, parse_address

    try:
        host, port = parse_address(gpsd)
    except ValueError:
        raise BadInput(_("--gpsd '{value}' is not HOST:PORT").format(value=gpsd),
                       _("write e.g. --gpsd 127.0.0.1:2947")) from None
    return RoutePlayer(GpsdClient(host, port), RouteSettings(timeout=parse_duration(timeout, "--gps-timeout")))


@cli.command("play")
@click.argument("what")
@click.option("--channel", default=None, help="Channel to play on (default: every channel of the running player).")
@click.option("--priority", type=click.Choice(["emergency", "urgent"]), default="urgent", show_default=True,
              help="emergency may also break quiet hours.")
@click.option("--mode", default=None,
              help="cut (stop the current item now), next (after it), or wait:SECONDS (then cut). "
                   "Default: cut for emergency, next for urgent.")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help=_LOG_HELP)
@click.option("--sink", default=None, help="Without a running player: where to play (default: auto).")
@click.option("--wait", "wait_done", is_flag=True, help="With a running player: wait until it has aired.")
@click.option("--here", is_flag=True,
              help="Play on this machine's --sink even though a player is registered (one that does not answer).")
@click.option("--json", "as_json", is_flag=True, help="Print the answers as JSON.")
def play_cmd(what: str, channel: str | None, priority: str, mode: str | None, log_path: str | None,
             sink: str | None, wait_done: bool, here: bool, as_json: bool) -> None:
    """Play an audio file or a notice now, breaking into the running player.

    \b
    Examples:
      broadcaster play out/fire-alarm.mp3 --priority emergency          # cuts in now
      broadcaster play notices/water-cut.yaml --channel village          # after the current item
      broadcaster play out/hesuan.mp3 --mode wait:30                     # up to 30 s, then cut
    \b
    With `broadcaster run` going (same --log), the play is handed to it; the item it cuts
    is logged interrupted and replayed afterwards if still within its grace window. When
    no player runs, it plays here on --sink and is logged all the same. If the registered
    player does not answer (hung, or killed), it says so and exits 1; --here plays here anyway.
    The same emergency asked for again while it airs or waits, or within 3 min of its end,
    is not played again: the answer says "already airing ..." and the exit status is 0.
    """
    from broadcaster.player.asrun import AsRunLog, status_label
    from broadcaster.player.control import daemons_for, resolve_audio, send, wait_for_outcome
    from broadcaster.player.daemon import AirPlan, Daemon, Settings, StaticSource, manual_item, parse_mode
    from broadcaster.player.sinks import from_option

    mode_name, wait = parse_mode(mode or ("cut" if priority == "emergency" else "next"))
    sink_spec = from_option(sink, _named_sinks()) if sink is not None else "auto"
    audio = resolve_audio(what)
    log = AsRunLog(_log_path(log_path))
    targets = [] if here else daemons_for(log, channel)
    if targets:
        answers = send(log, targets, audio, priority, mode_name, wait)
        if as_json:
            rows = [{"channel": a.channel, "accepted": a.accepted, "already_airing": a.already, "note": a.note,
                     "pid": a.daemon.pid} for a in answers]
            out: dict = {"sent_to_player": True, "answers": rows}
            if wait_done:
                out["outcome"] = [{k: r[k] for k in ("channel", "status", "reason", "actual_start_iso",
                                                     "actual_end_iso")}
                                  for r in wait_for_outcome(log, answers, timeout=3600)]
            click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        else:
            for a in answers:
                said = (_("{channel}: {note} (player pid {pid})") if a.accepted
                        else _("{channel}: refused: {note} (player pid {pid})"))
                click.echo(said.format(channel=a.channel, note=a.note, pid=a.daemon.pid))
            if wait_done:
                for r in wait_for_outcome(log, answers, timeout=3600):
                    click.echo(f"{r['channel']}: {status_label(r['status'])} {r['actual_start_iso'] or ''}"
                               f"{' — ' + r['reason'] if r['reason'] else ''}")
        if not all(a.accepted for a in answers):
            raise click.exceptions.Exit(ExitStatus.FAILED)
        return
    import time as _time
    name = channel or "local"
    plan = AirPlan(plays=(), sinks={name: sink_spec}, base_dir=Path.cwd())
    item = manual_item(audio.file, name, audio.notice, audio.title, priority, _time.time())
    outcome: list = []

    def on_event(e) -> None:
        if not as_json:
            _print_event(e, False)
        if e.kind == "end":
            outcome.append(e)

    daemon = Daemon(StaticSource(plan, "play"), log, settings=Settings(exit_when_idle=True, channels=(name,)),
                    on_event=on_event, initial=[item])
    _serve(daemon)
    rows = log.outcome_of(item.slot)
    if as_json:
        click.echo(json.dumps({"sent_to_player": False, "already_airing": item.slot in daemon.repeats, "outcome": [
            {k: r[k] for k in ("channel", "status", "reason", "actual_start_iso", "actual_end_iso")} for r in rows]},
            ensure_ascii=False, indent=2))
    if item.slot in daemon.repeats:
        return  # the same emergency just aired here: done, as with a running player
    if not rows or rows[-1]["status"] != "played":
        raise click.exceptions.Exit(ExitStatus.FAILED)


@cli.command("log")
@click.option("--from", "start", default=None, help="First day, YYYY-MM-DD (or today, yesterday).")
@click.option("--to", "end", default=None, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--channel", default=None, help="Only this channel.")
@click.option("--csv", "as_csv", is_flag=True, help="Rows as CSV (for a spreadsheet).")
@click.option("--json", "as_json", is_flag=True, help="Rows and daily totals as JSON.")
@click.option("--totals", is_flag=True, help="Only the daily totals per channel.")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help=_LOG_HELP)
@click.option("-o", "--out", "out", default=None, type=click.Path(dir_okay=False),
              help="With --csv: write the CSV into this file instead of printing it.")
def log_cmd(start: str | None, end: str | None, channel: str | None, as_csv: bool, as_json: bool, totals: bool,
            log_path: str | None, out: str | None) -> None:
    """Report what went on air (播出记录), with daily totals per channel.

    \b
    Examples:
      broadcaster log --from 2021-10-27 --to 2021-10-29
      broadcaster log --from yesterday --channel village --csv -o 播出记录.csv
      broadcaster log --json | jq '.totals'
    CSV is UTF-8 with a BOM (so Excel reads the Chinese), one row per line.
    Statuses: played, late, missed, skipped, failed, interrupted (with the reason).
    """
    from broadcaster.player.asrun import ROW_FIELDS, STATUSES, TOTAL_FIELDS, AsRunLog, status_label
    from broadcaster.player.control import parse_day

    if out and not as_csv:
        raise BadInput(_("-o is for --csv"), _("add --csv, or leave out -o to print the report"))
    first = parse_day(start, "--from") if start else None
    last = parse_day(end, "--to") if end else None
    if first and last and last < first:
        raise BadInput(_("--to {last} is before --from {first}").format(last=last, first=first),
                       _("give the earlier day with --from"))
    path = _log_path(log_path)
    if not path.exists():
        raise BroadcasterError(_("no as-run log at {path} yet: `broadcaster run` or `play` creates it "
                                 "(or give --log PATH)").format(path=path))
    report = AsRunLog(path).report(first, last, channel)
    if as_json:
        click.echo(json.dumps({"totals": report.totals} if totals else
                              {"rows": report.rows, "totals": report.totals}, ensure_ascii=False, indent=2))
        return
    if as_csv:
        from broadcaster.player.asrun import csv_bytes  # the desk's CSV download writes the same bytes

        # bytes, not text: the BOM and the Chinese must survive a Windows console's code page
        data = csv_bytes(report.totals if totals else report.rows, TOTAL_FIELDS if totals else ROW_FIELDS)
        if out:
            from broadcaster.fsutil import write_bytes
            write_bytes(out, data)
        else:
            click.echo(data, nl=False)  # bytes go to the binary stream as they are
        return
    if not totals:
        for r in report.rows:
            planned = (r["planned"] or "")[:19].replace("T", " ")
            started = (r["actual_start"] or "")[11:23]
            click.echo(f"{planned:19s}  {started:12s}  {_pad(r['channel'], 10)} {_pad(status_label(r['status']), 11)} "
                       f"{r['notice']}"
                       f"{'  ' + r['title'] if r['title'] else ''}{'  — ' + r['reason'] if r['reason'] else ''}")
        if report.rows:
            click.echo("")
    click.echo(_pad(_("day"), 11) + " " + _pad(_("channel"), 11) + " "
               + " ".join(_pad(status_label(s), 11, right=True) for s in STATUSES) + "   " + _("on air"))
    for t in report.totals:
        click.echo(f"{t['day']:11s} {_pad(t['channel'], 11)} " + " ".join(f"{t[s]:11d}" for s in STATUSES)
                   + "   " + _("{minutes:6.1f} min").format(minutes=t["seconds_on_air"] / 60))
    if not report.rows:
        click.echo(_("(nothing logged in that range)"))


def _pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    fill = " " * max(width - used, 0)
    return fill + text if right else text + fill


@cli.command("sinks")
@click.option("--json", "as_json", is_flag=True)
def sinks_cmd(as_json: bool) -> None:
    """List the audio sinks a channel can use, and which work here."""
    from broadcaster.player.sinks import available_sinks

    rows = available_sinks()
    if as_json:
        click.echo(json.dumps([{"name": n, "available": ok, "about": why} for n, ok, why in rows],
                              ensure_ascii=False, indent=2))
        return
    for name, ok, why in rows:
        state = _("available") if ok else _("not available")
        click.echo(f"  {name:9s} {_pad(state, 13)}  {why}")


# ---------------------------------------------------------------- clip cache (engines/cache.py)
@cli.group()
def cache() -> None:
    """The cache of synthesized speech: an unchanged notice re-renders without synthesis.

    \b
    Examples:
      broadcaster cache info          # where it is, how many clips, how big
      broadcaster cache clear         # delete every clip (they are made again when needed)
      broadcaster cache trim --max-mb 500   # keep the 500 MB used most recently

    \b
    The cache is trimmed to its limit after every render (2000 MB unless config.yaml says
    `cache: {max_mb: N}` or BROADCASTER_CACHE_MAX_MB=N), least recently used clips first.
    """


@cache.command("info")
@click.option("--json", "as_json", is_flag=True)
def cache_info(as_json: bool) -> None:
    """Show where the clip cache is and how much it holds."""
    from broadcaster.config import config_path
    from broadcaster.engines.cache import CACHE

    info = CACHE.info()
    if as_json:
        click.echo(json.dumps({"path": str(info.path), "entries": info.entries, "bytes": info.bytes,
                               "config": str(config_path())}, ensure_ascii=False, indent=2))
        return
    click.echo(_("clip cache: {path}").format(path=info.path))
    click.echo("  " + _("{n} clip(s), {mb} MB").format(n=info.entries, mb=f"{info.bytes / 1e6:.1f}"))
    click.echo(_("settings file: {path}").format(path=config_path()))


@cache.command("clear")
def cache_clear() -> None:
    """Delete every cached clip."""
    from broadcaster.engines.cache import CACHE

    removed = CACHE.clear()
    click.echo(_("removed {n} clip(s) from {path}").format(n=removed, path=CACHE.root))


@cache.command("trim")
@click.option("--max-mb", type=click.FloatRange(0, 1e7), default=None,
              help="Size to trim to (default: the configured limit).")
@click.option("--json", "as_json", is_flag=True)
def cache_trim(max_mb: float | None, as_json: bool) -> None:
    """Delete the least recently used clips until the cache fits its limit."""
    from broadcaster.config import cache_settings
    from broadcaster.engines.cache import CACHE

    limit = cache_settings().max_mb if max_mb is None else max_mb
    done = CACHE.trim(int(limit * 1e6))
    if as_json:
        click.echo(json.dumps({"removed": done.removed, "freed_bytes": done.freed, "left_bytes": done.left,
                               "max_mb": limit}))
        return
    click.echo(_("removed {n} clip(s) ({freed} MB); {left} MB left (limit {limit} MB)").format(
        n=done.removed, freed=f"{done.freed / 1e6:.1f}", left=f"{done.left / 1e6:.1f}", limit=f"{limit:g}"))


# ---------------------------------------------------------------- export-card (USB/TF loop players)
@cli.command("export-card")
@click.argument("files", nargs=-1, required=True)
@click.option("-o", "--out", "target", required=True, type=click.Path(file_okay=False),
              help="The card's folder, e.g. /media/TF or E:\\.")
@click.option("--engine", type=click.Choice(ENGINES), default="auto",
              show_default=True, help="Speech engine for notice files.")
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
    from broadcaster.audio.card import export_card

    paths = [p for f in files for p in (_expand((f,)) if Path(f).is_dir() else [Path(f)])]

    def report(t) -> None:
        if not as_json:
            click.echo(f"{t.name}  {t.duration:6.1f} s  {t.title}")

    result = export_card(paths, Path(target), engine=engine, replace=replace, on_track=report)
    if as_json:
        from dataclasses import asdict
        click.echo(json.dumps({"target": str(result.target), "playlist": result.playlist.name,
                               "tracks": [asdict(t) for t in result.tracks]}, ensure_ascii=False, indent=2))
    else:
        click.echo(ngettext("wrote {n} file, {mb:.1f} MB, and {playlist} to {target}",
                            "wrote {n} files, {mb:.1f} MB, and {playlist} to {target}", len(result.tracks))
                   .format(n=len(result.tracks), mb=result.total_bytes / 1e6, playlist=result.playlist.name,
                           target=target))


@cli.command("profiles")
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
        click.echo(json.dumps([asdict(p) for p in profiles.values()], ensure_ascii=False, indent=2))
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


# ---------------------------------------------------------------- schedules: plan / export
def _plan_for(schedule_path: str, start: str | None, days: int, audio: str | None, engine: str):
    """Load, render what is needed (incrementally), and plan: (schedule, plays)."""
    from datetime import date, datetime

    from broadcaster.errors import BadInput
    from broadcaster.schedule.load import load_schedule
    from broadcaster.schedule.media import render_media
    from broadcaster.schedule.plan import plan

    schedule = load_schedule(schedule_path)
    if start is None:
        first = datetime.now(schedule.tz).date()
    else:
        try:
            first = date.fromisoformat(start)
        except ValueError:
            raise BadInput(_("invalid date '{date}'").format(date=start), _("write --from as 2021-10-27")) from None
    media = render_media(schedule, Path(audio) if audio else None, engine=engine)
    return schedule, plan(schedule, media, first, days)


def _explain_empty(schedule, start: str | None, days: int, plays) -> None:
    """Say on stderr why a window airs nothing (dates all past, everything in quiet hours...)."""
    from datetime import date, datetime

    from broadcaster.schedule.plan import why_no_plays

    first = date.fromisoformat(start) if start else datetime.now(schedule.tz).date()
    reason = why_no_plays(schedule, first, days, plays)
    if reason:
        click.echo(_("note: {reason}").format(reason=reason), err=True)


def _plan_json(schedule, plays) -> dict:
    from broadcaster.schedule.plan import clock_range
    return {"timezone": schedule.timezone,
            "quiet_hours": [clock_range(a, b) for a, b in schedule.quiet_hours],
            "channels": {c.id: {"name": c.name, "kind": c.kind, "sink": c.sink} for c in schedule.channels.values()},
            "plays": [p.as_json() for p in plays]}


_PLAN_OPTIONS = [
    click.argument("schedule", type=click.Path(dir_okay=False)),
    click.option("--from", "start", default=None, metavar="DATE", help="First day, e.g. 2021-10-27 (default: today)."),
    click.option("--days", type=click.IntRange(1, 3660), default=1, show_default=True),
    click.option("--audio", default=None, type=click.Path(file_okay=False),
                 help="Folder for the rendered programs (default: <schedule>-audio/ beside it)."),
    click.option("--engine", type=click.Choice(ENGINES), default="auto",
                 show_default=True),
]


def _plan_options(f):
    for option in reversed(_PLAN_OPTIONS):
        f = option(f)
    return f


@cli.command("plan")
@_plan_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (`broadcaster run` plays it).")
@click.option("--svg", "svg", default=None, type=click.Path(dir_okay=False),
              help="Also draw the first day as an SVG timeline (open it in a browser).")
def plan_cmd(schedule: str, start: str | None, days: int, audio: str | None, engine: str, as_json: bool,
             svg: str | None) -> None:
    """Compile a schedule into concrete plays: times, moves, drops and why.

    \b
    Examples:
      broadcaster plan examples/schedules/village.yaml --from 2021-10-27 --days 3
      broadcaster plan village.yaml --from 2021-10-27 --svg day.svg     # a picture of the day
      broadcaster plan village.yaml --json > plan.json                  # for scripts and `run`
    """
    from broadcaster.fsutil import write_text
    from broadcaster.schedule.svg import timeline

    sched, plays = _plan_for(schedule, start, days, audio, engine)
    if svg:
        day = plays[0].start.date() if plays else None
        if day is not None:
            names = {c.id: c.name for c in sched.channels.values()}
            write_text(svg, timeline(plays, day, names, sched.quiet_hours, sched.tz))
    if as_json:
        click.echo(json.dumps(_plan_json(sched, plays), ensure_ascii=False, indent=2))
        return
    for p in plays:
        mark = {"planned": " ", "moved": "→", "dropped": "✕"}[p.status]
        click.echo(f"{mark} {p.start:%Y-%m-%d %H:%M:%S}-{p.end:%H:%M:%S}  {p.channel:10s} {p.priority:10s} "
                   f"{p.title or p.notice}" + ("  " + _("({reason})").format(reason=p.reason) if p.reason else ""))
    counts = {s: sum(p.status == s for p in plays) for s in ("planned", "moved", "dropped")}
    summary = (_("{plays} plays: {planned} planned, {moved} moved, {dropped} dropped; timeline in {svg}") if svg
               else _("{plays} plays: {planned} planned, {moved} moved, {dropped} dropped"))
    click.echo(summary.format(plays=len(plays), **counts, svg=svg))
    _explain_empty(sched, start, days, plays)


@cli.command("route")
@click.argument("schedule", type=click.Path(dir_okay=False))
@click.option("--svg", "svg", required=True, type=click.Path(dir_okay=False),
              help="Where to write the map (an SVG file; open it in a browser).")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False),
              help="As-run log whose plays are drawn where they started (default: none, stops only).")
def route_cmd(schedule: str, svg: str, log_path: str | None) -> None:
    """Draw a schedule's GPS routes: stops, their circles, and where each notice played.

    \b
    Examples:
      broadcaster route examples/schedules/truck-gps.yaml --svg route.svg
      broadcaster route truck.yaml --svg today.svg --log /var/lib/broadcaster/asrun.sqlite
    """
    from broadcaster.fsutil import write_text
    from broadcaster.i18n import _
    from broadcaster.notice import load_notice
    from broadcaster.player.asrun import AsRunLog
    from broadcaster.schedule.load import load_schedule
    from broadcaster.schedule.routemap import MapRoute, MapStop, route_map

    sched = load_schedule(Path(schedule))
    routes = []
    for p in sched.programs:
        if not p.route or p.route[0].position is None:
            continue
        base = load_notice(p.notices[0])
        stops = tuple(MapStop(s.place, s.at.strftime("%H:%M:%S" if s.at.second else "%H:%M"), s.position.lat,
                              s.position.lon, s.position.radius, f"{base.id}-stop{n + 1:02d}")
                      for n, s in enumerate(p.route))
        filler = load_notice(p.between_stops).id if p.between_stops else ""
        routes.append(MapRoute(base.title or base.id, p.channels, stops, filler))
    if not routes:
        raise BadInput(_("this schedule has no route with positions"),
                       _("give the stops of a `route:` lat, lon and radius (see docs/schedules.md)"), Path(schedule))
    rows = []
    if log_path:
        if not Path(log_path).is_file():
            raise BadInput(_("no as-run log at this path"), _("give the --log that `broadcaster run` wrote"),
                           Path(log_path))
        rows = AsRunLog(log_path, sched.timezone).report().rows
    write_text(svg, route_map(routes, rows))
    drawn = sum(r.get("lat") is not None for r in rows)
    click.echo(_("{routes} route(s), {stops} stop(s), {plays} play(s) with a position; map in {svg}").format(
        routes=len(routes), stops=sum(len(r.stops) for r in routes), plays=drawn, svg=svg))


@cli.command("export")
@_plan_options
@click.option("--to", "fmt", type=click.Choice(["m3u", "ics", "crontab", "systemd", "card"]), required=True)
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False),
              help="As-run log the crontab/systemd lines write to (default: the one `run` and `play` use).")
def export_cmd(schedule: str, start: str | None, days: int, audio: str | None, engine: str, fmt: str,
               out_dir: str, log_path: str | None) -> None:
    """Export a schedule's plan for broadcast hardware.

    \b
    Examples:
      broadcaster export village.yaml --from 2021-10-27 --days 3 --to ics -o export/      # calendar import
      broadcaster export village.yaml --to crontab -o export/ && crontab export/broadcaster.crontab
      broadcaster export village.yaml --to systemd -o /etc/systemd/system/
      broadcaster export village.yaml --to m3u -o export/        # one playlist per channel per day
      broadcaster export village.yaml --to card -o /media/TF     # a folder per channel and day
    \b
    crontab and systemd lines call this broadcaster by its full path with the audio file, the
    channel's sink and the as-run log (--log) as full paths, so they work from cron's empty
    environment; a crontab line checks its year, a systemd timer fires once. m3u entries are
    relative to the playlist's folder.
    """
    from broadcaster.fsutil import CONTROL_RE
    from broadcaster.i18n import _
    from broadcaster.schedule import exports

    sched, plays = _plan_for(schedule, start, days, audio, engine)
    out = Path(out_dir)
    for notice in sorted({p.notice for p in exports.on_air(plays) if CONTROL_RE.search(p.title)}):
        click.echo(_("note: the title of '{notice}' holds line breaks or tabs; the export writes them as spaces")
                   .format(notice=notice), err=True)
    if fmt == "card":
        from broadcaster.audio.card import export_card
        written = []
        groups: dict = {}
        for p in exports.on_air(plays):
            groups.setdefault((p.channel, p.start.date()), []).append(Path(p.file))
        for (channel, day), files in sorted(groups.items()):
            result = export_card(files, out / f"{exports._ascii(channel)}-{day.isoformat()}", engine=engine,
                                 replace=True)
            written.append(result.playlist)
    elif fmt == "ics":
        written = exports.ics(plays, out, {c.id: c.name for c in sched.channels.values()})
    elif fmt == "m3u":
        written = exports.m3u(plays, out)
    else:
        how = exports.invocation(_log_path(log_path), sched.channels, sched.path.parent)
        written = getattr(exports, fmt)(plays, out, how)
    click.echo(ngettext("wrote {n} file to {folder}/ for {plays} plays",
                        "wrote {n} files to {folder}/ for {plays} plays", len(written)).format(n=len(written), folder=out_dir, plays=len(exports.on_air(plays))))
    _explain_empty(sched, start, days, plays)


# ---------------------------------------------------------------- the web desk (broadcaster/desk)
@cli.command("serve")
@click.argument("folder", default=".", type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; another than 127.0.0.1 (e.g. 0.0.0.0 for the office LAN) needs a password.")
@click.option("--port", type=click.IntRange(1, 65535), default=8750, show_default=True)
@click.option("--password-file", default=None, type=click.Path(dir_okay=False),
              help="Set the desk's password from the first line of this file (stored hashed), then serve.")
@click.option("--set-password", "set_password", is_flag=True, help="Type a new password for the desk, then serve.")
@click.option("--engine", type=click.Choice(ENGINES), default="auto",
              show_default=True, help="Speech engine the desk renders with unless a page chooses another.")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help=_LOG_HELP)
@click.option("--name", "names", multiple=True, metavar="HOSTNAME",
              help="Also answer to this host name (repeatable), e.g. --name guangbo.lan; by IP address and "
                   "as localhost it always answers.")
def serve_cmd(folder: str, host: str, port: int, password_file: str | None, set_password: bool, engine: str,
              log_path: str | None, names: tuple[str, ...]) -> None:
    """Open a web page to write, hear, schedule and check the notices in FOLDER.

    \b
    Examples:
      broadcaster serve examples/          # then open http://127.0.0.1:8750
      broadcaster serve notices/ --host 0.0.0.0 --set-password    # for the office LAN
      broadcaster serve notices/ --host 0.0.0.0 --name guangbo.lan  # also at http://guangbo.lan:8750
    \b
    Every change is a YAML file in FOLDER (comments kept), checked as `broadcaster check`
    does. Audio is made in the background into the user's cache folder.
    Needs the `desk` extra: pip install 'broadcaster[desk]'.
    """
    try:
        import uvicorn

        from broadcaster.desk import security
        from broadcaster.desk.app import DeskSettings, create_app, jobs_dir_for
    except ImportError as exc:
        raise BroadcasterError(_("the web desk is not installed ({reason}) — install it with "
                                 "pip install 'broadcaster[desk]'").format(reason=exc)) from None
    root = Path(folder)
    if not root.is_dir():
        raise BadInput(_("no folder '{folder}'").format(folder=folder), _("give the folder that holds your notices"))
    if password_file and set_password:
        raise click.UsageError(_("give --password-file or --set-password, not both"))
    if password_file:
        try:
            lines = Path(password_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise BadInput(_("cannot read the password file ({reason})").format(reason=exc.strerror),
                           _("check its name and permissions"), password_file) from None
        security.set_password(lines[0] if lines else "")
    elif set_password:
        security.set_password(click.prompt(_("new password for the desk"), hide_input=True,
                                           confirmation_prompt=True))
    loopback = security.is_loopback(host)
    stored = security.stored_password_hash()
    if not loopback and stored is None:
        raise BadInput(_("--host {host} lets other computers in, but the desk has no password").format(host=host),
                       _("run `broadcaster serve --host {host} --set-password` first").format(host=host))
    login = not loopback or bool(password_file or set_password)
    # the names it answers to besides any IP address: a DNS name rebound to this address gets nothing
    served = ("localhost", *([host] if not _is_address(host) else []), *(n.strip() for n in names if n.strip()))
    settings = DeskSettings(folder=root.resolve(), jobs_dir=jobs_dir_for(root), engine=engine,
                            log_path=Path(log_path) if log_path else None,
                            password_hash=stored if login else None,
                            password_file=security.config_dir() / security.PASSWORD_FILE if login else None,
                            secret=security.session_secret(), names=served)
    shown = f"[{host}]" if ":" in host else host
    click.echo(_("the desk for {folder} is open at http://{host}:{port} (Ctrl-C stops it)").format(
        folder=root, host=shown, port=port))
    _desk_log()
    # proxy_headers off: the client address that login attempts are counted by is the connection's
    # own, never an X-Forwarded-For header that a page on this computer could make up
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", proxy_headers=False)


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def _desk_log() -> None:
    """Logins and refused logins go to stderr with the time (the journal, under systemd)."""
    import logging

    logger = logging.getLogger("broadcaster.desk")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s desk: %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False



# ---------------------------------------------------------------- proof-listening
def _min_heard(value: str | None) -> float | None:
    """--min-heard as a fraction: 0.9, 90 and 90% all mean 90% of characters heard right."""
    if value is None:
        return None
    text = value.strip().rstrip("%")
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if value.strip().endswith("%") or number > 1:
        number /= 100
    if not 0 <= number <= 1:
        from broadcaster.i18n import _
        raise click.BadParameter(_("'{value}' is not a share of characters: give e.g. 0.9 or 90%").format(
            value=value), param_hint="--min-heard")
    return number


def _listen_and_report(paths: list[Path], as_json: bool) -> list:
    """Transcribe the programs with the offline listener; print each verdict unless as_json."""
    from broadcaster.i18n import _
    from broadcaster.verify import verify_files

    def report(v) -> None:
        if v.error:  # said as it happens, the others still checked; the exit status says it at the end
            click.echo(_("error: {message}").format(message=v.error), err=True)
            return
        if as_json:
            return
        name = Path(v.file).name
        if v.score is None:
            click.echo(f"{name}  {v.reason}")
            return
        s = v.score
        click.echo(_("{file}  heard {heard:.1%} of {n} characters right, pinyin error rate {per:.3f}").format(
            file=name, heard=s.heard_right, n=s.characters, per=s.pinyin_errors))
        for d in s.differences:
            times = f"  (×{d.count})" if d.count > 1 else ""
            click.echo(f"    {d.said or '—'} [{d.said_pinyin}] → {d.heard or '—'} [{d.heard_pinyin}]{times}")

    return verify_files(paths, on_done=report)


def _fail_below(verdicts: list, min_heard: float | None) -> None:
    """Exit 1 when a file could not be read (each was named as it failed) or heard below `min_heard`."""
    from broadcaster.i18n import _
    from broadcaster.verify import below, failed

    low = below(verdicts, min_heard) if min_heard is not None else []
    for v in low:
        click.echo(_("error: {file}: {heard:.1%} of characters heard right, below {want:.1%}").format(
            file=v.file, heard=v.score.heard_right, want=min_heard), err=True)
    bad = failed(verdicts)
    if bad:
        click.echo(ngettext("error: {count} program could not be checked (named above)",
                            "error: {count} programs could not be checked (named above)",
                            len(bad)).format(count=len(bad)), err=True)
    if low or bad:
        raise click.exceptions.Exit(ExitStatus.FAILED)


@cli.command("verify")
@click.argument("files", nargs=-1, required=True)
@click.option("--min-heard", "min_heard", default=None, metavar="P",
              help="Exit 1 when any file has fewer characters heard right (e.g. 0.9 or 90%).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def verify_cmd(files: tuple[str, ...], min_heard: str | None, as_json: bool) -> None:
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
    threshold = _min_heard(min_heard)
    verdicts = _listen_and_report([Path(f) for f in files], as_json)
    if as_json:
        click.echo(json.dumps({"verified": [v.as_dict() for v in verdicts]}, ensure_ascii=False, indent=2))
    _fail_below(verdicts, threshold)


if __name__ == "__main__":  # python -m broadcaster.cli, as the tests spawn it
    sys.exit(main())
