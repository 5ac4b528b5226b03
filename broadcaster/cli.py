"""The command line: parses options, calls one function, prints, maps errors to exit codes.

The only module that imports click. Errors are caught in `main` alone (httpie's split:
`main` maps errors to exit statuses, `cli` does the work; `--traceback` re-raises).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from broadcaster import __version__
from broadcaster.errors import BadInput, BroadcasterError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status. Only here are errors turned into messages."""
    argv = list(sys.argv[1:] if argv is None else argv)
    traceback = "--traceback" in argv
    try:
        cli.main(args=argv, prog_name="broadcaster", standalone_mode=False)
        return EXIT_OK
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.UsageError as exc:
        if traceback:
            raise
        hint = f" — see `{exc.ctx.command_path} --help`" if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        return EXIT_BAD_INPUT
    except click.ClickException as exc:
        if traceback:
            raise
        click.echo(f"error: {exc.format_message()}", err=True)
        return EXIT_BAD_INPUT
    except BroadcasterError as exc:
        if traceback:
            raise
        for line in getattr(exc, "lines", lambda: [str(exc)])():
            click.echo(line if isinstance(exc, BadInput) else f"error: {line}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # a bug of ours: one line, and the way to a full report
        if traceback:
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        click.echo(f"internal error: {type(exc).__name__}: {first} — please report it; "
                   "run again with --traceback for details", err=True)
        return EXIT_FAILED


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
@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for <id>.mp3, <id>.txt and manifest.json.")
@click.option("--engine", type=click.Choice(["auto", "espeak", "neural", "edge"]), default="auto",
              show_default=True, help="Speech engine; auto tries edge, neural, then espeak.")
@click.option("--format", "fmt", type=click.Choice(["mp3", "wav"]), default="mp3", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def render(files: tuple[str, ...], out_dir: str, engine: str, fmt: str, as_json: bool) -> None:
    """Render notices and jingles to audio.

    \b
    Examples:
      broadcaster render examples/notices/*.yaml -o out/
      broadcaster render hesuan.yaml -o out/ --engine espeak --format wav
    """
    from broadcaster.render import RenderOptions, render_files

    options = RenderOptions(out_dir=Path(out_dir), engine=engine, fmt=fmt)

    def report(r) -> None:
        if not as_json:
            skipped = "; ".join(f"{k} skipped: {v}" for k, v in r.skipped.items())
            click.echo(f"{r.file}  {r.duration:6.1f} s  {r.engine:7s} {r.voice}  {r.title}"
                       + (f"  ({skipped})" if skipped else ""))

    done, failed = render_files(_expand(files), options, on_done=report)
    if as_json:
        from dataclasses import asdict
        click.echo(json.dumps({"rendered": [asdict(r) for r in done],
                               "failed": [str(e) for e in failed]}, ensure_ascii=False, indent=2))
    for exc in failed:
        click.echo(f"error: {exc}", err=True)
    if done and not as_json:
        click.echo(f"wrote {len(done)} program(s) to {out_dir}/ (manifest.json lists them)")
    if failed:
        raise click.exceptions.Exit(EXIT_FAILED)


@cli.command()
@click.argument("files", nargs=-1, required=True)
def check(files: tuple[str, ...]) -> None:
    """Check notices, jingles and schedules for mistakes; writes nothing.

    \b
    Example:
      broadcaster check examples/notices/*.yaml
    Exit 0 when all are fine, 2 with one line per mistake otherwise.
    """
    from broadcaster.render import BadInputs, load_all

    paths = _expand(files)
    prepared, errors = load_all(paths)
    if errors:
        raise BadInputs(errors)
    for p in prepared:
        click.echo(f"ok  {p.notice.path}  ({p.notice.kind} '{p.notice.id}', voice {p.voice.name})")


@cli.command()
@click.argument("text")
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Audio file to write (.mp3 or .wav).")
@click.option("--voice", default=None, help="Voice profile (see `broadcaster voices`).")
@click.option("--engine", type=click.Choice(["auto", "espeak", "neural", "edge"]), default="auto",
              show_default=True)
def say(text: str, out: str, voice: str | None, engine: str) -> None:
    """Speak one line of text into an audio file.

    \b
    Example:
      broadcaster say "各位村民请注意，今天下午三点在村委会门口发放物资。" -o test.mp3
    """
    from broadcaster.render import say_text

    result = say_text(text, Path(out), voice=voice, engine=engine)
    click.echo(f"wrote {out} ({result.duration:.1f} s, {result.engine}, voice {result.voice})")


@cli.command()
@click.argument("text")
@click.option("--voice", default=None, help="Voice profile whose dialect words apply.")
@click.option("--json", "as_json", is_flag=True, help="Also show each step.")
def normalize(text: str, voice: str | None, as_json: bool) -> None:
    """Print exactly the text the engine will be given.

    \b
    Examples:
      broadcaster normalize "核酸检测时间7:30-10:00，咨询电话13911112222"
      broadcaster normalize --voice sichuan_chongqing "不要出门，在家里待着"
    """
    from broadcaster.speech.spoken import spoken_text
    from broadcaster.speech.voices import get_profile

    result = spoken_text(text, get_profile(voice))
    if as_json:
        click.echo(json.dumps({"text": result.text, "written": result.written,
                               "steps": [{"step": s, "text": t} for s, t in result.steps]},
                              ensure_ascii=False, indent=2))
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
            click.echo(f"    {name:12s} {meaning} (可选)")


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
            "engines": [{"name": n, "available": ok, "reason": why} for n, ok, why in engines],
            "voices": [{"name": p.name, "display": p.display, "region": p.region,
                        "engines": p.engines, "stand_in": p.stand_in} for p in profiles.values()]},
            ensure_ascii=False, indent=2))
        return
    click.echo("engines:")
    for name, ok, why in engines:
        click.echo(f"  {name:7s} {'available' if ok else 'not available: ' + why}")
    click.echo("voices:")
    for p in profiles.values():
        click.echo(f"  {p.name:18s} {p.display}  {p.region}")
        for engine, settings in p.engines.items():
            note = p.stand_in.get(engine)
            voice = settings.get("voice", "default")
            click.echo(f"      {engine:7s} {voice}" + (f"  (stand-in: {note})" if note else ""))
