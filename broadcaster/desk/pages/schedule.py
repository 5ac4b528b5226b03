"""The Schedule page: a week's plan drawn day by day, adding a notice to the schedule, and the emergency button."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from broadcaster.desk import editing
from broadcaster.desk.common import (asrun_path, channel_kind, choice, existing_file, files_of_kind, folder_path,
                                     folder_prefix, json_form, page, relative_name, require_csrf, settings_of,
                                     writable)
from broadcaster.desk.formwords import form_errors, in_form_words
from broadcaster.desk.jobs import Progress
from broadcaster.desk.texts import page_texts
from broadcaster.errors import BadInput, BroadcasterError, EditConflict, RequestError
from broadcaster.fsutil import check_folder, write_text
from broadcaster.i18n import _
from broadcaster.notice import load_notice
from broadcaster.player.asrun import AsRunLog
from broadcaster.player.control import Audio, daemons_for, send
from broadcaster.examine import prepare
from broadcaster.render import RenderOptions, render_prepared
from broadcaster.schedule.load import load_schedule, quiet_ranges
from broadcaster.schedule.plan import quiet_hours_hit
from broadcaster.schedule.svg import day_label
from broadcaster.schedule.when import Days, parse_days, parse_times
from broadcaster.schedule.window import plan_window
from broadcaster.vocabulary import DEFAULT_QUIET_HOURS, PRIORITIES, TIMEZONE


def _schedules(request: Request) -> list[editing.FileEntry]:
    return files_of_kind(request, "schedule")


def _schedule_path(request: Request, rel: str | None) -> Path:
    """The schedule named, else the folder's first, else schedule.yaml (made on the first add)."""
    if rel:
        return writable(request, rel)
    found = _schedules(request)
    return folder_path(request, found[0].path if found else "schedule.yaml")


def _channel(cid: str, name: str, kind: str) -> dict:
    """A channel as the form offers it: its name, and its kind in words unless the name says it (大喇叭)."""
    word = channel_kind(kind)
    return {"id": cid, "name": name, "label": name if word in name else f"{name}（{word}）"}


NEW_CHANNELS = [("village", "大喇叭", "loudspeaker")]  # what editing.NEW_SCHEDULE starts a schedule with


def _channels_of(path: Path) -> list[dict]:
    try:
        return [_channel(c.id, c.name, c.kind) for c in load_schedule(path).channels.values()]
    except BadInput:
        return [_channel(*c) for c in NEW_CHANNELS]


def _daemons(request: Request) -> list:
    try:
        return daemons_for(AsRunLog(asrun_path(request)), None)
    except BroadcasterError:
        return []


async def schedule_page(request: Request) -> Response:
    path = _schedule_path(request, request.query_params.get("file"))
    return page(request, "schedule.html", schedules=_schedules(request), file=relative_name(request, path),
                 exists=path.is_file(), channels=_channels_of(path) if path.is_file()
                 else [_channel(*c) for c in NEW_CHANNELS],
                 notices=files_of_kind(request, "notice") + files_of_kind(request, "jingle"), priorities=PRIORITIES,
                 today=datetime.now(_quiet_and_zone(path)[1]).date().isoformat(), daemons=_daemons(request))


PLAN_DAYS = 7  # the schedule page shows a week from the day chosen


def _plan_work(path: Path, first: date, days: int, engine: str):
    def work(folder: Path, progress: Progress) -> dict:
        progress.update(0, 2, _("making the audio the plan needs"))
        window = plan_window(path, first, days, engine, folder / "audio",
                             on_rendered=lambda: progress.update(1, 2, _("planning")))
        out = []
        now = datetime.now(window.schedule.tz)  # today's picture shows the current time
        for day in window.by_day():
            name = f"{day.day.isoformat()}.svg"
            write_text(folder / name, window.picture(day, now))
            out.append({"day": day.day.isoformat(), "svg": name, "plays": len(day.plays),
                        "titles": sorted({p.title or p.notice for p in day.plays})})
        progress.update(2, 2)
        return {"days": out, "note": window.note() or ""}
    return work


async def api_plan(request: Request) -> Response:
    data = await json_form(request)
    require_csrf(request)
    path = existing_file(request, str(data.get("file") or ""))
    today = datetime.now(_quiet_and_zone(path)[1]).date()
    try:  # the day to start from, written as the form's days are (2021-10-27, 12月12日, 明天)
        first = parse_days(str(data.get("from") or "").strip() or today.isoformat(), today).first
    except BadInput as exc:
        raise RequestError(400, f"{exc.what} — {exc.fix}") from None
    job = request.app.state.jobs.submit("plan", _plan_work(path, first, PLAN_DAYS, settings_of(request).engine))
    return JSONResponse(job.to_dict())


SCHEDULE_FIELDS = ["notice", "channel", "dates", "times", "priority"]


def _labels() -> dict[str, str]:
    texts = page_texts()
    return {"notice": texts["notice"], "channel": texts["channel"], "dates": texts["dates_short"],
            "times": texts["times_short"], "priority": texts["priority"]}


def _quiet_and_zone(path: Path) -> tuple[tuple, ZoneInfo]:
    """The schedule's quiet hours and time zone; the defaults a new schedule gets when it has none yet
    (or cannot be read: the check at adding says why)."""
    try:
        schedule = load_schedule(path) if path.is_file() else None
    except BadInput:
        schedule = None
    if schedule is None:
        return quiet_ranges(list(DEFAULT_QUIET_HOURS)), ZoneInfo(TIMEZONE)
    return schedule.quiet_hours, schedule.tz


def _clock(t: time) -> str:
    return t.isoformat("seconds") if t.second else t.strftime("%H:%M")


@dataclass(frozen=True)
class When:
    """The form's days and times as understood, with the mistakes and warnings to show at their fields."""

    days: Days | None      # None: every day (or a mistake, then in errors)
    times: tuple[time, ...]
    errors: list
    warnings: list
    said: dict            # field -> the days or times as understood, in words (shown under the field)


def _read_when(path: Path, data: dict) -> When:
    """The days and times the form holds, read as notices write them (schedule/when.py), and the quiet-hours
    warnings the planner's own rule gives for them (schedule.plan.quiet_hours_hit)."""
    quiet, tz = _quiet_and_zone(path)
    today = datetime.now(tz).date()
    labels = _labels()
    errors, warnings, said = [], [], {}
    days, times = None, ()

    def mistake(exc: BadInput, name: str) -> None:
        value = str(data.get(name) or "")
        errors.append({"field": name, "message": in_form_words(exc, name, labels[name], value),
                       "detail": exc.message()})
    written = str(data.get("dates") or "").strip()
    if not written:  # a rule without dates plays every day, as in a schedule file
        said["dates"] = _("every day")
    else:
        try:
            days = parse_days(written, today)
            said["dates"] = (_("{first} to {last}").format(first=day_label(days.span[0], today),
                                                           last=day_label(days.span[1], today))
                             if days.span else _(", ").join(day_label(d, today) for d in days.dates))
            if (days.span[1] if days.span else max(days.dates)) < today:
                warnings.append({"field": "dates", "message": _(
                    "this day is already past: nothing will play — give a day from today on")})
        except BadInput as exc:
            mistake(exc, "dates")
    try:
        times = parse_times(str(data.get("times") or ""))
        said["times"] = _(", ").join(_clock(t) for t in times)
    except BadInput as exc:
        mistake(exc, "times")
    priority = str(data.get("priority") or "normal")
    for t in times:
        # the play's first second: a longer notice may still run into quiet hours (the timeline shows it)
        hours = quiet_hours_hit(t, timedelta(seconds=1), priority, quiet)
        if hours:
            warnings.append({"field": "times", "message": _(
                "{time} is in the quiet hours ({hours}): it will not play — only emergencies play then; "
                "choose another time").format(time=_clock(t), hours=hours)})
    return When(days, times, errors, warnings, said)


async def api_schedule_when(request: Request) -> Response:
    """The form's days and times as understood, as the user types: mistakes and quiet-hours warnings."""
    data = await json_form(request)
    require_csrf(request)
    path = _schedule_path(request, str(data.get("file") or "") or None)
    choice(data.get("priority") or "normal", PRIORITIES, "priority")
    when = _read_when(path, data)
    return JSONResponse({"errors": when.errors, "warnings": when.warnings, "said": when.said})


async def api_schedule_add(request: Request) -> Response:
    data = await json_form(request)
    require_csrf(request)
    path = _schedule_path(request, str(data.get("file") or "") or None)
    notice = existing_file(request, str(data.get("notice") or ""))
    choice(data.get("priority") or "normal", PRIORITIES, "priority")
    when = _read_when(path, data)
    if when.errors:
        return JSONResponse({"error": when.errors[0]["message"], "errors": when.errors,
                             "warnings": when.warnings}, status_code=422)
    existing = editing.read_source(path)
    form = {**data, "dates": when.days.as_yaml() if when.days else "", "times": [_clock(t) for t in when.times]}
    text = editing.schedule_with(existing.text, path, notice, form)  # BadInput (422) when unreadable
    checked = editing.check_schedule(path, text, SCHEDULE_FIELDS)
    if not checked.ok:
        errors = form_errors(checked.errors, {k: str(data.get(k) or "") for k in SCHEDULE_FIELDS}, _labels(),
                             folder_prefix(request))
        return JSONResponse({"error": errors[0]["message"], "errors": errors}, status_code=422)
    try:
        editing.save_text(path, text, str(data.get("digest") or existing.digest), existing.encoding)
    except EditConflict:
        return JSONResponse({"error": _("'{name}' was changed by someone else since you opened it — your change "
                                        "was not saved").format(name=relative_name(request, path)) + " "
                             + page_texts()["conflict_reload"]}, status_code=409)
    return JSONResponse({"file": relative_name(request, path),
                         "first": when.days.first.isoformat() if when.days else "", "warnings": when.warnings})


EMERGENCY_ANSWER_S = 30.0  # a daemon answers within a poll; a loaded village PC may take longer than `play`'s 5 s


def _emergency_work(path: Path, folder: Path, engine: str, log_path: Path):
    """Render the notice with the desk's engine, then hand it to every running player (player.control.send)."""
    def work() -> list:
        log = AsRunLog(log_path)
        targets = daemons_for(log, None)
        if not targets:
            raise RequestError(409, page_texts()["no_player"])
        check_folder(folder)
        folder.mkdir(parents=True, exist_ok=True)
        # a WAV, as `play notice.yaml` renders it: the player needs no decoder for it
        rendered = render_prepared(prepare(load_notice(path)), RenderOptions(out_dir=folder, engine=engine,
                                                                            fmt="wav"))
        audio = Audio(str((folder / rendered.file).resolve()), rendered.id, rendered.title)
        return send(log, targets, audio, "emergency", "cut", 0.0, timeout=EMERGENCY_ANSWER_S)
    return work


async def api_emergency(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    data = await json_form(request)
    require_csrf(request)
    path = existing_file(request, str(data.get("file") or ""))
    settings = settings_of(request)
    folder = settings.jobs_dir / "emergency"
    answers = await run_in_threadpool(_emergency_work(path, folder, settings.engine, asrun_path(request)))
    return JSONResponse({"answers": [{"channel": a.channel, "channel_name": a.channel_name, "accepted": a.accepted,
                                      "already_airing": a.already, "note": a.note} for a in answers]})
