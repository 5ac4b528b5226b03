"""The command line: parses options, calls one function, prints, maps errors to exit codes.

The only package that imports click (besides i18n.py, which routes click's own messages through our
catalog). Errors are caught in `main` alone (httpie's split: `main` maps errors to exit statuses,
the commands do the work; `--traceback` re-raises). Each group of commands has its module, as pip's
`commands/`: notices, jingle, schedule, player, voices, cache, serve; shared options in options.py,
shared printing in output.py.
"""
from __future__ import annotations

import sys

import click

from broadcaster import __version__
from broadcaster.cli import cache, jingle, notices, player, schedule, serve, voices
from broadcaster.errors import BadInput, BroadcasterError, ExitStatus
from broadcaster.i18n import _, translate_click


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


# registered in the order of the old cli.py: the catalog names a help text that several commands share
# after the first of them, so the translations file keeps its order
for _command in (notices.render_command, notices.check_command, notices.say_command, notices.normalize_command,
                 notices.templates_command, voices.voices_command, voices.install_voices_command,
                 jingle.jingle_command, player.run_command, player.play_command, player.log_command,
                 player.sinks_command, cache.cache_command, notices.export_card_command, notices.profiles_command,
                 schedule.plan_command, schedule.route_command, schedule.export_command, serve.serve_command,
                 voices.verify_command):
    cli.add_command(_command)
del _command
