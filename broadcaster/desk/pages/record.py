"""The Record page: a notice in the official's own voice. Record in the browser (or with the phone's own
recorder), hear the take as the cleaned, mastered program, then record again or keep it: the take is
saved in the notice's folder (录音/) and the notice's YAML updated. The work is takes.py's; this page
only carries the take there and back."""
from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from broadcaster import takes
from broadcaster.desk import editing
from broadcaster.desk.common import (existing_file, files_of_kind, folder_path, folder_prefix, json_form, page,
                                     page_errors, relative_name, require_csrf, settings_of)
from broadcaster.desk.jobs import Jobs, Progress
from broadcaster.desk.takeedit import notice_with_take
from broadcaster.desk.texts import page_texts
from broadcaster.errors import BadInput, EditConflict, RequestError
from broadcaster.fsutil import write_bytes
from broadcaster.i18n import _
from broadcaster.notice import Notice, load_notice

# A take may be as long as a recording may be (15 minutes). Phone recorders write AAC at up to
# 256 kbit/s: 15 min of that is 28.8 MB; the desk's own recorder asks the browser for 64 kbit/s Opus
# (7.2 MB). So takes get 30 MiB (31.5 MB); every other upload keeps the desk's 1 MB (common.MAX_BODY).
MAX_TAKE = 30 << 20
MAX_TAKE_BODY = MAX_TAKE + (64 << 10)  # the take and the few form fields around it
PREVIEW_PATH = "/api/record/preview"
MAX_SECONDS = 15 * 60  # the browser stops recording here (audio.recording refuses longer ones)


def record_texts() -> dict[str, str]:
    """The texts of the Record page and of record.js, in the request's language."""
    return {
        "title": _("Record in your own voice"),
        "intro": _("For a dialect no speech voice speaks, or when people should hear your own voice: record the "
                   "notice, hear how it will sound on the loudspeakers, then keep it or record it again."),
        "choose": _("Choose a notice to record"),
        "where": _("What to record"),
        "whole": _("The whole notice (read it out as written below)"),
        "whole_recorded": _("The whole notice (replaces the recording {name})"),
        "part_recording": _("Part {n}: record it again (now {name})"),
        "part_say": _("Part {n}: your voice instead of the machine's: “{words}”"),
        "part_new": _("A new part at the end"),
        "read_this": _("What to read out"),
        "start": _("Start recording"), "stop": _("Stop"),
        "upload": _("Record with the phone's own recorder, or choose a recording"),
        "mic_ok": _("You can record here with the microphone: press “Start recording”, speak, then press "
                    "“Stop”. A recording made with the phone's own recorder works too."),
        "mic_insecure": _("The browser does not let this page use the microphone, because it was opened over the "
                          "office network with http://. Use the button below: it opens the phone's own recorder, "
                          "and the recording is sent when you are done. (Recording right in the page works on the "
                          "desk's own computer, at http://127.0.0.1, or over https://.)"),
        "mic_missing": _("This browser cannot record in the page. Use the button below: it opens the phone's own "
                         "recorder, or lets you choose a recording."),
        "mic_refused": _("The microphone was not allowed or not found — allow it in the browser, or use the "
                         "button below"),
        "recording": _("Recording… {time}"),
        "too_big": _("The recording is too big ({mb} MB; at most {limit} MB) — record the notice in several parts"),
        "cleaning": _("Cleaning the recording and making the program…"),
        "heard": _("This is how it will sound on the loudspeakers: {seconds} s in all (with the chime and the "
                   "repeats); your recording is {take} s once the noise at its ends is cut."),
        "keep": _("Keep this recording"), "again": _("Record again"),
        "kept": _("Kept as {name}; the notice now uses it."),
        "hear_it": _("Hear the notice"), "schedule_it": _("Put it on the schedule"),
        "edit_it": _("Back to the notice"),
        "problem": _("This notice cannot be recorded yet: {message}"),
        "no_notices": _("There are no notices in this folder yet: write one first."),
    }


# the texts record.js shows (the page carries them in one block, as base.html does desk.js's)
SCRIPT_TEXTS = ("start", "stop", "mic_ok", "mic_insecure", "mic_missing", "mic_refused", "recording", "too_big",
                "cleaning", "heard", "kept")


def _filled(notice: Notice, text: str | None) -> str:
    """`text` with the notice's variables filled in, as it will be said ('' when it cannot be)."""
    from dataclasses import replace

    from broadcaster.script import fill

    if not text:
        return ""
    try:
        return fill(replace(notice, template=None, text=text, recording=None, parts=())).strip()
    except BadInput:
        return ""


def _choices(notice: Notice, texts: dict[str, str]) -> list[dict]:
    """Where a take can go in this notice (the whole notice, or each part and a new one at the end), each
    with the words to read out."""
    from broadcaster.script import fill

    if not notice.parts:
        label = texts["whole_recorded"].format(name=notice.recording) if notice.recording else texts["whole"]
        try:
            words = fill(notice).strip()  # a recording's `text:`, or the notice's text or template, filled in
        except BadInput:
            words = ""
        return [{"value": "", "label": label, "words": words}]
    out = []
    for i, part in enumerate(notice.parts):
        if part.recording is not None:
            label = texts["part_recording"].format(n=i + 1, name=part.recording)
            words = _filled(notice, part.text)
        else:
            words = _filled(notice, part.say) or str(part.say or "")
            label = texts["part_say"].format(n=i + 1, words=words if len(words) <= 30 else words[:30] + "…")
        out.append({"value": str(i), "label": label, "words": words})
    out.append({"value": str(len(notice.parts)), "label": texts["part_new"], "words": ""})
    return out


async def record_page(request: Request) -> Response:
    texts = {**page_texts(), **record_texts()}
    rel = request.query_params.get("file", "")
    path = existing_file(request, rel) if rel else None
    notice, problem, choices = None, "", []
    if path is not None:
        try:
            notice = load_notice(path)
            takes.refuse_untakeable(notice)
            choices = _choices(notice, texts)
        except BadInput as exc:
            problem = exc.message().replace(folder_prefix(request), "")
    return page(request, "record.html", r=texts, files=files_of_kind(request, "notice"), file=rel,
                digest=editing.file_digest(path) if path else "", notice=notice, problem=problem,
                choices=choices,
                record_script_texts={k: texts[k] for k in SCRIPT_TEXTS}, max_take=MAX_TAKE,
                max_seconds=MAX_SECONDS)


def _part(value: object) -> int | None:
    """The form's part: '' for the whole notice, else a part's number from 0."""
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 4:
        raise RequestError(400, _("the form could not be read — reload the page"))
    return int(text)


def _refused_take(request: Request, exc: BadInput, path: Path) -> JSONResponse:
    """A bad take: its one line, said at the record button in form words (no file name and line: the take is
    not a file yet), and the whole line as `check` would print it (placed at the notice)."""
    lines = [e.located(path).message().replace(folder_prefix(request), "") for e in exc.errors]
    words = [f"{e.what} — {e.fix}" if e.fix else e.what for e in exc.errors]
    return JSONResponse({"error": words[0], "line": lines[0], "errors": lines}, status_code=422)


def _preview_work(path: Path, rel: str, data: bytes, filename: str, part: int | None, engine: str):
    def work(folder: Path, progress: Progress) -> dict:
        progress.update(0, 1, _("cleaning the recording and making the program"))
        kept = "take" + Path(filename).suffix.lower()
        write_bytes(folder / kept, data)  # kept with the job: "keep" saves these very bytes
        preview = takes.preview_take(path, data, filename, folder / "program", part, engine=engine)
        rendered = preview.rendered
        transcript = (folder / "program" / rendered.transcript).read_text(encoding="utf-8").strip()
        take_seconds = sum(m.get("seconds", 0.0) for m in rendered.made_of if m.get("recording") == preview.name)
        progress.update(1, 1)
        return {"notice": rel, "part": part, "filename": filename, "take": kept, "name": preview.name,
                "file": f"program/{rendered.file}", "duration": rendered.duration,
                "loudness_lufs": rendered.loudness_lufs, "true_peak_dbtp": rendered.true_peak_dbtp,
                "take_seconds": take_seconds, "made_of": rendered.made_of, "warnings": rendered.warnings,
                "transcript_text": transcript, "engine": rendered.engine}
    return work


async def api_record_preview(request: Request) -> Response:
    """A take (multipart: notice, part, take): checked at once (422 and its one line when bad), then the
    program it makes rendered in a background job; nothing is written in the desk's folder."""
    require_csrf(request)  # before a large body is read
    async with request.form(max_files=1, max_fields=10) as form:
        rel = str(form.get("notice") or "")
        path = existing_file(request, rel)
        part = _part(form.get("part"))
        upload = form.get("take")
        if upload is None or isinstance(upload, str):
            raise RequestError(400, _("no recording was sent — record again"))
        data = await upload.read(MAX_TAKE + 1)
        filename = Path(upload.filename or "").name or "take"
    if len(data) > MAX_TAKE:
        raise RequestError(413, _("the upload is larger than {mb} MB — send a smaller file").format(mb=MAX_TAKE >> 20))
    try:
        await run_in_threadpool(takes.check_take, path, data, filename, part)
    except BadInput as exc:
        return _refused_take(request, exc, path)
    jobs: Jobs = request.app.state.jobs
    job = jobs.submit("take", _preview_work(path, relative_name(request, path), data, filename, part,
                                            settings_of(request).engine))
    return JSONResponse(job.to_dict())


def _not_loaded(request: Request, checked: editing.Checked) -> JSONResponse:
    """The notice would not load with the take: its mistakes, and nothing changed in it."""
    errors = page_errors(request, checked.errors)
    return JSONResponse({"error": errors[0]["message"], "errors": errors}, status_code=422)


async def api_record_keep(request: Request) -> Response:
    """Keep a previewed take (JSON: job, digest): the take saved in the notice's folder, the notice updated."""
    data = await json_form(request)
    require_csrf(request)
    jobs: Jobs = request.app.state.jobs
    job = jobs.get(str(data.get("job") or ""))
    if job is None or job.kind != "take":
        raise RequestError(404, _("no such job (the desk may have been restarted)"))
    if job.state != "done":
        raise RequestError(409, _("the recording is not ready yet — wait until it can be heard"))
    result = job.result
    path = existing_file(request, str(result.get("notice") or ""))
    part = result.get("part")
    filename = str(result.get("filename") or "")
    take = jobs.folder(job.id) / str(result.get("take") or "")
    try:
        bytes_ = take.read_bytes()
    except OSError:
        raise RequestError(404, _("no such job (the desk may have been restarted)")) from None
    source = editing.read_source(path)  # BadInput (422) when the file cannot be read
    digest = str(data.get("digest") or "")
    conflict = JSONResponse({"error": _("'{name}' was changed by someone else since you opened it — your change "
                                        "was not saved").format(name=relative_name(request, path)) + " "
                             + page_texts()["conflict_reload"]}, status_code=409)
    if source.text is None or (digest and digest != source.digest):
        return conflict
    notice = load_notice(path)
    name = takes.take_name(notice, filename, part)
    variant = takes.with_take(notice, name, part)
    text = notice_with_take(path, source.text, variant, name, part)
    # the take goes beside the notice: refused (403) if a link there (录音/ itself) leads out of the folder
    folder_path(request, relative_name(request, path.parent) + "/" + name, ())
    fields = editing.check_fields(path, text)  # before anything is written: a take that does not fit the notice
    if not fields.ok:
        return _not_loaded(request, fields)
    try:
        saved = await run_in_threadpool(takes.save_take, path, bytes_, filename, part)
    except BadInput as exc:
        return _refused_take(request, exc, path)
    checked = editing.check_notice(path, text, [])  # the whole check reads the take: only once it is saved
    if not checked.ok:  # leave the notice as it was
        return _not_loaded(request, checked)
    try:
        new_digest = editing.save_text(path, text, digest or source.digest, source.encoding)
    except EditConflict:
        return conflict
    return JSONResponse({"file": relative_name(request, path), "recording": saved, "digest": new_digest})
