"""The Schedule page: a week's plan drawn day by day, adding a notice to the schedule, and the emergency button."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from broadcaster.desk import editing
from broadcaster.desk.common import (asrun_path, choice, existing_file, files_of_kind, folder_path,
                                     json_form, page, page_errors, relative_name, require_csrf, settings_of, writable)
from broadcaster.desk.jobs import Progress
from broadcaster.desk.texts import page_texts
from broadcaster.errors import BadInput, BroadcasterError, EditConflict, RequestError
from broadcaster.fsutil import check_folder, write_text
from broadcaster.i18n import _
from broadcaster.notice import load_notice
from broadcaster.player.asrun import AsRunLog
from broadcaster.player.control import Audio, daemons_for, send
from broadcaster.render import RenderOptions, prepare, render_prepared
from broadcaster.schedule.load import load_schedule
from broadcaster.schedule.window import plan_window
from broadcaster.vocabulary import PRIORITIES


def _schedules(request: Request) -> list[editing.FileEntry]:
    return files_of_kind(request, "schedule")


def _schedule_path(request: Request, rel: str | None) -> Path:
    """The schedule named, else the folder's first, else schedule.yaml (made on the first add)."""
    if rel:
        return writable(request, rel)
    found = _schedules(request)
    return folder_path(request, found[0].path if found else "schedule.yaml")


def _channels_of(path: Path) -> list[dict]:
    try:
        return [{"id": c.id, "name": c.name} for c in load_schedule(path).channels.values()]
    except BadInput:
        return [{"id": "village", "name": "village"}]


def _daemons(request: Request) -> list:
    try:
        return daemons_for(AsRunLog(asrun_path(request)), None)
    except BroadcasterError:
        return []


async def schedule_page(request: Request) -> Response:
    path = _schedule_path(request, request.query_params.get("file"))
    return page(request, "schedule.html", schedules=_schedules(request), file=relative_name(request, path),
                 exists=path.is_file(), channels=_channels_of(path) if path.is_file()
                 else [{"id": "village", "name": "village"}],
                 notices=files_of_kind(request, "notice") + files_of_kind(request, "jingle"), priorities=PRIORITIES,
                 today=date.today().isoformat(), daemons=_daemons(request))


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
    try:
        first = date.fromisoformat(str(data.get("from") or date.today().isoformat()))
    except ValueError:
        raise RequestError(400, _("invalid date '{value}' — write it as 2021-10-27").format(
            value=data.get("from"))) from None
    job = request.app.state.jobs.submit("plan", _plan_work(path, first, PLAN_DAYS, settings_of(request).engine))
    return JSONResponse(job.to_dict())


SCHEDULE_FIELDS = ["notice", "channel", "dates", "times", "priority"]


async def api_schedule_add(request: Request) -> Response:
    data = await json_form(request)
    require_csrf(request)
    path = _schedule_path(request, str(data.get("file") or "") or None)
    notice = existing_file(request, str(data.get("notice") or ""))
    choice(data.get("priority") or "normal", PRIORITIES, "priority")
    existing = editing.read_source(path)
    text = editing.schedule_with(existing.text, path, notice, data)  # BadInput (422) when unreadable
    checked = editing.check_schedule(path, text, SCHEDULE_FIELDS)
    if not checked.ok:
        errors = page_errors(request, checked.errors)
        return JSONResponse({"error": errors[0]["message"], "errors": errors}, status_code=422)
    try:
        editing.save_text(path, text, str(data.get("digest") or existing.digest), existing.encoding)
    except EditConflict:
        return JSONResponse({"error": _("'{name}' was changed by someone else since you opened it — your change "
                                        "was not saved").format(name=relative_name(request, path)) + " "
                             + page_texts()["conflict_reload"]}, status_code=409)
    return JSONResponse({"file": relative_name(request, path)})


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
    return JSONResponse({"answers": [{"channel": a.channel, "accepted": a.accepted, "already_airing": a.already,
                                      "note": a.note} for a in answers]})
