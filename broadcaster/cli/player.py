"""Commands on air: run a schedule, play now, report the as-run log, list the sinks.

Each command imports the work it calls inside its function, so that `broadcaster --help` stays fast.
"""
from __future__ import annotations

from pathlib import Path

import click

from broadcaster.cli.options import log_file_path, log_option
from broadcaster.cli.output import echo_json, pad
from broadcaster.errors import BadInput, BroadcasterError, ExitStatus
from broadcaster.i18n import _, ngettext
from broadcaster.vocabulary import TIMEZONE


def _named_sinks() -> dict[str, object]:
    """The sinks config.yaml defines by name (the only place, with --sink, for `command`)."""
    from broadcaster.config import named_sinks
    from broadcaster.player.sinks import check_named

    conf, where = named_sinks()
    return check_named(conf, where)


def _print_event(event, as_json: bool, timezone: str = TIMEZONE) -> None:
    from broadcaster.player.control import local_time

    if as_json:
        echo_json({"at": event.at, "level": event.level, "channel": event.channel,
                   "kind": event.kind, "message": event.message}, indent=None)
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


@click.command("run")
@click.argument("schedule", type=click.Path(dir_okay=False))
@log_option()
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
def run_command(schedule: str, log_path: str | None, channels: tuple[str, ...], grace: str, run_for: str | None,
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
    from broadcaster.player.daemon import Daemon
    from broadcaster.player.model import Settings
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
    daemon = Daemon(source, AsRunLog(log_file_path(log_path)), settings=settings,
                    on_event=lambda e: _print_event(e, as_json, daemon.tz.key),
                    route=_route_player(gpsd, gps_timeout))
    import time as _time
    _serve(daemon, until=_time.time() + limit if limit is not None else None)


def _route_player(gpsd: str, timeout: str):
    """The GPS side of `run`: it connects to gpsd only once the plan has a route with positions."""
    from broadcaster.player.control import parse_duration
    from broadcaster.player.gpsd import GpsdClient, parse_address
    from broadcaster.player.position import RoutePlayer, RouteSettings

    try:
        host, port = parse_address(gpsd)
    except ValueError:
        raise BadInput(_("--gpsd '{value}' is not HOST:PORT").format(value=gpsd),
                       _("write e.g. --gpsd 127.0.0.1:2947")) from None
    return RoutePlayer(GpsdClient(host, port), RouteSettings(timeout=parse_duration(timeout, "--gps-timeout")))


@click.command("play")
@click.argument("what")
@click.option("--channel", default=None, help="Channel to play on (default: every channel of the running player).")
@click.option("--priority", type=click.Choice(["emergency", "urgent"]), default="urgent", show_default=True,
              help="emergency may also break quiet hours.")
@click.option("--mode", default=None,
              help="cut (stop the current item now), next (after it), or wait:SECONDS (then cut). "
                   "Default: cut for emergency, next for urgent.")
@log_option()
@click.option("--sink", default=None, help="Without a running player: where to play (default: auto).")
@click.option("--wait", "wait_done", is_flag=True, help="With a running player: wait until it has aired.")
@click.option("--here", is_flag=True,
              help="Play on this machine's --sink even though a player is registered (one that does not answer).")
@click.option("--json", "as_json", is_flag=True, help="Print the answers as JSON.")
def play_command(what: str, channel: str | None, priority: str, mode: str | None, log_path: str | None,
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
    from broadcaster.player.asrun import AsRunLog
    from broadcaster.vocabulary import status_label
    from broadcaster.player.control import daemons_for, resolve_audio, send, wait_for_outcome
    from broadcaster.player.daemon import Daemon
    from broadcaster.player.model import AirPlan, Settings, StaticSource
    from broadcaster.player.requests import manual_item, parse_mode
    from broadcaster.player.sinks import from_option

    mode_name, wait = parse_mode(mode or ("cut" if priority == "emergency" else "next"))
    sink_spec = from_option(sink, _named_sinks()) if sink is not None else "auto"
    audio = resolve_audio(what)
    log = AsRunLog(log_file_path(log_path))
    targets = [] if here else daemons_for(log, channel)
    if targets:
        answers = send(log, targets, audio, priority, mode_name, wait)
        if as_json:
            rows = [{"channel": a.channel, "channel_name": a.channel_name, "accepted": a.accepted,
                     "already_airing": a.already, "note": a.note, "pid": a.daemon.pid} for a in answers]
            out: dict = {"sent_to_player": True, "answers": rows}
            if wait_done:
                out["outcome"] = [{k: r[k] for k in ("channel", "status", "reason", "actual_start_iso",
                                                     "actual_end_iso")}
                                  for r in wait_for_outcome(log, answers, timeout=3600)]
            echo_json(out)
        else:
            for a in answers:
                said = (_("{channel}: {note} (player pid {pid})") if a.accepted
                        else _("{channel}: refused: {note} (player pid {pid})"))
                click.echo(said.format(channel=a.channel_name, note=a.note, pid=a.daemon.pid))
            if wait_done:
                for r in wait_for_outcome(log, answers, timeout=3600):
                    click.echo(f"{r['channel_name'] or r['channel']}: {status_label(r['status'])} "
                               f"{r['actual_start_iso'] or ''}"
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
        echo_json({"sent_to_player": False, "already_airing": item.slot in daemon.repeats, "outcome": [
            {k: r[k] for k in ("channel", "status", "reason", "actual_start_iso", "actual_end_iso")} for r in rows]})
    if item.slot in daemon.repeats:
        return  # the same emergency just aired here: done, as with a running player
    if not rows or rows[-1]["status"] != "played":
        raise click.exceptions.Exit(ExitStatus.FAILED)


@click.command("log")
@click.option("--from", "start", default=None, help="First day, YYYY-MM-DD (or today, yesterday).")
@click.option("--to", "end", default=None, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--channel", default=None, help="Only this channel.")
@click.option("--csv", "as_csv", is_flag=True, help="Rows as CSV (for a spreadsheet).")
@click.option("--report", "as_report", is_flag=True,
              help="The report to forward (CSV for Excel): date, time, channel, notice, result, remarks, "
                   "in your language; plays that broke in are marked.")
@click.option("--json", "as_json", is_flag=True, help="Rows and daily totals as JSON.")
@click.option("--totals", is_flag=True, help="Only the daily totals per channel.")
@log_option()
@click.option("-o", "--out", "out", default=None, type=click.Path(dir_okay=False),
              help="With --csv or --report: write the CSV into this file instead of printing it.")
def log_command(start: str | None, end: str | None, channel: str | None, as_csv: bool, as_report: bool,
                as_json: bool, totals: bool, log_path: str | None, out: str | None) -> None:
    """Report what went on air (播出记录), with daily totals per channel.

    \b
    Examples:
      broadcaster log --from 2021-10-27 --to 2021-10-29
      broadcaster log --from 2021-10-01 --to 2021-10-31 --report -o 播出报表.csv   # for the township
      broadcaster log --from yesterday --channel village --csv -o 播出记录.csv
      broadcaster log --json | jq '.totals'
    CSV is UTF-8 with a BOM (so Excel reads the Chinese), one row per line.
    Statuses: played, late, missed, skipped, failed, interrupted (with the reason).
    """
    from broadcaster.player.asrun import AsRunLog
    from broadcaster.player.asrun_report import ROW_FIELDS, TOTAL_FIELDS, row_times
    from broadcaster.vocabulary import STATUSES, status_label
    from broadcaster.player.control import parse_day

    if as_report and (as_csv or as_json or totals):
        raise BadInput(_("--report is a file of its own"), _("leave out --csv, --json and --totals"))
    if out and not (as_csv or as_report):
        raise BadInput(_("-o is for --csv or --report"), _("add --csv or --report, or leave out -o to print the log"))
    first = parse_day(start, "--from") if start else None
    last = parse_day(end, "--to") if end else None
    if first and last and last < first:
        raise BadInput(_("--to {last} is before --from {first}").format(last=last, first=first),
                       _("give the earlier day with --from"))
    path = log_file_path(log_path)
    if not path.exists():
        raise BroadcasterError(_("no as-run log at {path} yet: `broadcaster run` or `play` creates it "
                                 "(or give --log PATH)").format(path=path))
    report = AsRunLog(path).report(first, last, channel)
    if as_json:
        echo_json({"totals": report.totals} if totals else
                  {"rows": report.rows, "totals": report.totals})
        return
    if as_csv or as_report:
        # the desk's downloads write the same bytes
        from broadcaster.player.asrun_report import csv_bytes, report_bytes

        # bytes, not text: the BOM and the Chinese must survive a Windows console's code page
        data = (report_bytes(report.rows) if as_report else
                csv_bytes(report.totals if totals else report.rows, TOTAL_FIELDS if totals else ROW_FIELDS))
        if out:
            from broadcaster.fsutil import write_bytes
            write_bytes(out, data)
            if as_report:
                click.echo(ngettext("wrote {n} play to {file} (open it with Excel or WPS)",
                                    "wrote {n} plays to {file} (open it with Excel or WPS)",
                                    len(report.rows)).format(n=len(report.rows), file=out))
        else:
            click.echo(data, nl=False)  # bytes go to the binary stream as they are
        return
    names = {r["channel"]: r["channel_name"] for r in report.rows if r["channel_name"]}  # 长乐村大喇叭, not village
    if not totals:
        for r in report.rows:
            planned, started = row_times(r)
            click.echo(f"{planned:19s}  {started:12s}  {pad(r['channel_name'] or r['channel'], 10)} "
                       f"{pad(status_label(r['status']), 11)} "
                       f"{r['notice']}"
                       f"{'  ' + r['title'] if r['title'] else ''}{'  — ' + r['reason'] if r['reason'] else ''}")
        if report.rows:
            click.echo("")
    click.echo(pad(_("day"), 11) + " " + pad(_("channel"), 11) + " "
               + " ".join(pad(status_label(s), 11, right=True) for s in STATUSES) + "   " + _("on air"))
    for t in report.totals:
        click.echo(f"{t['day']:11s} {pad(names.get(t['channel'], t['channel']), 11)} " + " ".join(f"{t[s]:11d}" for s in STATUSES)
                   + "   " + _("{minutes:6.1f} min").format(minutes=t["seconds_on_air"] / 60))
    if not report.rows:
        click.echo(_("(nothing logged in that range)"))


@click.command("sinks")
@click.option("--json", "as_json", is_flag=True)
def sinks_command(as_json: bool) -> None:
    """List the audio sinks a channel can use, and which work here."""
    from broadcaster.player.sinks import available_sinks

    rows = available_sinks()
    if as_json:
        echo_json([{"name": n, "available": ok, "about": why} for n, ok, why in rows])
        return
    for name, ok, why in rows:
        state = _("available") if ok else _("not available")
        click.echo(f"  {name:9s} {pad(state, 13)}  {why}")
