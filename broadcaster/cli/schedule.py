"""Commands on schedules: plan, route, export.

Each command imports the work it calls inside its function, so that `broadcaster --help` stays fast.
"""
from __future__ import annotations

from pathlib import Path

import click

from broadcaster.cli.options import engine_option, log_file_path, log_option
from broadcaster.cli.output import pad, width
from broadcaster.errors import BadInput
from broadcaster.i18n import _, ngettext


def _plan_for(schedule_path: str, start: str | None, days: int, audio: str | None, engine: str):
    """Load, render what is needed (incrementally), and plan: a schedule.window.PlanWindow."""
    from datetime import date

    from broadcaster.schedule.load import load_schedule
    from broadcaster.schedule.window import plan_window

    schedule = load_schedule(schedule_path)  # its mistakes first, then the date's
    first = None
    if start is not None:
        try:
            first = date.fromisoformat(start)
        except ValueError:
            raise BadInput(_("invalid date '{date}'").format(date=start), _("write --from as 2021-10-27")) from None
    return plan_window(schedule, first, days, engine, Path(audio) if audio else None)


def _explain_empty(window) -> None:
    """Say on stderr what may be wrong in the schedule (a time in quiet hours, at its line), and why a
    window airs nothing (dates all past, everything in quiet hours...)."""
    for warning in window.schedule.warnings:
        click.echo(warning.shown(), err=True)
    reason = window.note()
    if reason:
        click.echo(_("note: {reason}").format(reason=reason), err=True)


_PLAN_OPTIONS = [
    click.argument("schedule", type=click.Path(dir_okay=False)),
    click.option("--from", "start", default=None, metavar="DATE", help="First day, e.g. 2021-10-27 (default: today)."),
    click.option("--days", type=click.IntRange(1, 3660), default=1, show_default=True),
    click.option("--audio", default=None, type=click.Path(file_okay=False),
                 help="Folder for the rendered programs (default: <schedule>-audio/ beside it)."),
    engine_option(),
]


def _plan_options(f):
    for option in reversed(_PLAN_OPTIONS):
        f = option(f)
    return f


@click.command("plan")
@_plan_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (`broadcaster run` plays it).")
@click.option("--svg", "svg", default=None, type=click.Path(dir_okay=False),
              help="Also draw the first day as an SVG timeline (open it in a browser).")
def plan_command(schedule: str, start: str | None, days: int, audio: str | None, engine: str, as_json: bool,
             svg: str | None) -> None:
    """Compile a schedule into concrete plays: times, moves, drops and why.

    \b
    Examples:
      broadcaster plan examples/schedules/village.yaml --from 2021-10-27 --days 3
      broadcaster plan village.yaml --from 2021-10-27 --svg day.svg     # a picture of the day
      broadcaster plan village.yaml --json > plan.json                  # for scripts and `run`
    """
    from broadcaster.fsutil import write_text
    from broadcaster.schedule import planfile
    from broadcaster.vocabulary import priority_label

    window = _plan_for(schedule, start, days, audio, engine)
    plays = window.plays
    if svg:
        drawn = window.by_day()
        if drawn:
            write_text(svg, window.picture(drawn[0]))  # the first day that has plays
    if as_json:
        click.echo(planfile.dump(window.schedule, plays))
        return
    names = {c.id: c.name for c in window.schedule.channels.values()}
    channel_width = max((width(names.get(p.channel, p.channel)) for p in plays), default=0)
    priority_width = max((width(priority_label(p.priority)) for p in plays), default=0)
    for p in plays:
        mark = {"planned": " ", "moved": "→", "dropped": "✕"}[p.status]
        click.echo(f"{mark} {p.start:%Y-%m-%d %H:%M:%S}-{p.end:%H:%M:%S}  "
                   f"{pad(names.get(p.channel, p.channel), channel_width)}  {pad(priority_label(p.priority), priority_width)}  "
                   f"{p.title or p.notice}" + ("  " + _("({reason})").format(reason=p.reason) if p.reason else ""))
    counts = {s: sum(p.status == s for p in plays) for s in ("planned", "moved", "dropped")}
    summary = (_("{plays} plays: {planned} planned, {moved} moved, {dropped} dropped; timeline in {svg}") if svg
               else _("{plays} plays: {planned} planned, {moved} moved, {dropped} dropped"))
    click.echo(summary.format(plays=len(plays), **counts, svg=svg))
    _explain_empty(window)


@click.command("route")
@click.argument("schedule", type=click.Path(dir_okay=False))
@click.option("--svg", "svg", required=True, type=click.Path(dir_okay=False),
              help="Where to write the map (an SVG file; open it in a browser).")
@log_option("As-run log whose plays are drawn where they started (default: none, stops only).")
def route_command(schedule: str, svg: str, log_path: str | None) -> None:
    """Draw a schedule's GPS routes: stops, their circles, and where each notice played.

    \b
    Examples:
      broadcaster route examples/schedules/truck-gps.yaml --svg route.svg
      broadcaster route truck.yaml --svg today.svg --log /var/lib/broadcaster/asrun.sqlite
    """
    from broadcaster.fsutil import write_text
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


@click.command("export")
@_plan_options
@click.option("--to", "fmt", type=click.Choice(["m3u", "ics", "crontab", "systemd", "card"]), required=True)
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False))
@log_option("As-run log the crontab/systemd lines write to (default: the one `run` and `play` use).")
def export_command(schedule: str, start: str | None, days: int, audio: str | None, engine: str, fmt: str,
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
    from broadcaster.schedule import exports

    window = _plan_for(schedule, start, days, audio, engine)
    sched, plays = window.schedule, list(window.plays)
    out = Path(out_dir)
    for notice in sorted({p.notice for p in exports.on_air(plays) if CONTROL_RE.search(p.title)}):
        click.echo(_("note: the title of '{notice}' holds line breaks or tabs; the export writes them as spaces")
                   .format(notice=notice), err=True)
    if fmt == "card":
        from broadcaster.card import export_card
        written = []
        groups: dict = {}
        labels = {}  # a schedule's audio folder has no manifest: the plays know each file's id and title
        for p in exports.on_air(plays):
            groups.setdefault((p.channel, p.start.date()), []).append(Path(p.file))
            labels[Path(p.file)] = (p.notice, p.title or p.notice)
        for (channel, day), files in sorted(groups.items()):
            # the folder's name stays ASCII (cheap players and 8.3 names); PLAYLIST.txt names the channel
            folder = out / f"{exports._ascii(channel)}-{day.isoformat()}"
            name = sched.channels[channel].name if channel in sched.channels else channel
            result = export_card(files, folder, engine=engine, replace=True, channel=name, day=day.isoformat(),
                                 labels=labels)
            written.append(result.playlist)
            click.echo(ngettext("{folder}/  {channel}  {day}: {n} file", "{folder}/  {channel}  {day}: {n} files",
                                len(result.tracks)).format(folder=folder.name, channel=name, day=day.isoformat(),
                                                            n=len(result.tracks)))
    elif fmt == "ics":
        written = exports.ics(plays, out, {c.id: c.name for c in sched.channels.values()})
    elif fmt == "m3u":
        written = exports.m3u(plays, out)
    else:
        how = exports.invocation(log_file_path(log_path), sched.channels, sched.path.parent)
        written = getattr(exports, fmt)(plays, out, how)
    click.echo(ngettext("wrote {n} file to {folder}/ for {plays} plays",
                        "wrote {n} files to {folder}/ for {plays} plays", len(written)).format(n=len(written), folder=out_dir, plays=len(exports.on_air(plays))))
    _explain_empty(window)
