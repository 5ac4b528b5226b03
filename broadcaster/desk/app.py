"""The web desk (`broadcaster serve`): pages over a folder of notices, jingles and a schedule.

It owns no rule of its own: every check, render, plan and report is the same function the
CLI calls, and errors are shown with the same one-line messages. It writes only YAML files
inside its folder (atomically); audio goes to the desk's job folders in the user's cache.
"""
from __future__ import annotations

import contextvars
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import (FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from broadcaster.desk import editing, security
from broadcaster.desk.jobs import Jobs, Progress
from broadcaster.desk.texts import page_texts
from broadcaster.errors import BadInput, BroadcasterError
from broadcaster.i18n import _, language, use_language
from broadcaster.jingle.rhyme import STRICTNESS
from broadcaster.notice import ENGINES, JINGLE_FORMS, PRIORITIES
from broadcaster.yamlsource import choices_fix

HERE = Path(__file__).parent
MAX_BODY = 1 << 20          # bytes: any request body (the villages CSV upload included)
MAX_JSON = 256 << 10        # bytes: a form sent as JSON


@dataclass(frozen=True)
class DeskSettings:
    folder: Path
    jobs_dir: Path
    engine: str = "auto"              # default speech engine for renders and plans
    log_path: Path | None = None      # the as-run log (default: the one `run` and `play` use)
    password_hash: str | None = None  # None: no login (loopback only)
    password_file: Path | None = None  # where the hash is stored: a new one there counts at once
    secret: str = ""
    names: tuple[str, ...] = ("localhost",)  # host names the desk answers to (any IP address it always does)
    testing: bool = False             # tests only: also answer the test client's host name "testserver"


class RequestError(Exception):
    """Refuse a request with an HTTP status and one plain line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# ---------------------------------------------------------------- middleware (plain ASGI)
def _accept_language(header: str) -> str | None:
    """'zh_CN' or 'en' from the browser's Accept-Language (its first zh or en), else None."""
    tags = []
    for part in header.split(","):
        tag, _sep, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        tags.append((weight, tag.strip().lower()))
    for _w, tag in sorted(tags, key=lambda t: -t[0]):
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return None


class LanguageAndLimits:
    """Per request: answer in the browser's language; refuse bodies over MAX_BODY (413)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        use_language(_accept_language(headers.get("accept-language", "")))
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            return await _too_large(send)
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY:
                    raise _TooLarge()
            return message

        async def watched_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _TooLarge:
            if not started:
                await _too_large(send)


class _TooLarge(Exception):
    pass


class Guard:
    """Before anything else: answer only to the desk's own host names, so that a page whose DNS name
    is rebound to the desk's address gets nothing; and let no other site show the desk in a frame."""

    HEADERS = [(b"x-frame-options", b"DENY"), (b"content-security-policy", b"frame-ancestors 'none'"),
               (b"x-content-type-options", b"nosniff")]

    def __init__(self, app, names: tuple[str, ...]) -> None:
        self.app, self.names = app, names

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def guarded_send(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.HEADERS]}
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if not security.serves_host(host, self.names):
            use_language(_accept_language(headers.get("accept-language", "")))
            address, port = (scope.get("server") or ("127.0.0.1", 8750))[:2]
            shown = f"[{address}]" if ":" in str(address) else address
            name = security.host_name(host)[:100]
            body = _("the desk does not answer to the name '{host}' — open it at http://{address}:{port}, "
                     "or start it with --name {host}").format(host=name, address=shown, port=port).encode()
            await guarded_send({"type": "http.response.start", "status": 400,
                                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            return await guarded_send({"type": "http.response.body", "body": body})
        await self.app(scope, receive, guarded_send)


async def _too_large(send) -> None:
    body = _("the upload is larger than {mb} MB — send a smaller file").format(mb=MAX_BODY >> 20).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------- helpers
def _settings(request: Request) -> DeskSettings:
    return request.app.state.settings


def _csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = security.new_csrf_token()
        request.session["csrf"] = token
    return token


def _require_csrf(request: Request, given: str | None = None) -> None:
    given = given or request.headers.get("x-csrf-token")
    if not security.same_token(request.session.get("csrf"), given):
        raise RequestError(403, _("this change was refused: the page's security token is missing or old — "
                                  "reload the page and try again"))


def _log(level: int, message) -> None:
    """Log a line for whoever runs the desk, in the server's language (not the browser's)."""
    logging.getLogger("broadcaster.desk").log(level, contextvars.Context().run(message))


async def _json(request: Request) -> dict:
    body = await request.body()
    if len(body) > MAX_JSON:
        raise RequestError(413, _("the form is too large"))
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: lists or maps nested thousands deep
        raise RequestError(400, _("the form could not be read — reload the page")) from None
    if not isinstance(data, dict):
        raise RequestError(400, _("the form could not be read — reload the page"))
    return data


def _path(request: Request, relative: str, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> Path:
    """A file named by the browser, inside the desk's folder or refused (400/403)."""
    try:
        return security.inside(_settings(request).folder, relative, suffixes)
    except security.OutsideFolder:
        raise RequestError(403, _("'{name}' is outside the desk's folder").format(name=relative)) from None
    except BadInput as exc:
        raise RequestError(400, exc.message()) from None


def _existing(request: Request, relative: str) -> Path:
    path = _path(request, relative)
    if not path.is_file():
        raise RequestError(404, _("'{name}' is not in the desk's folder").format(name=relative))
    return path


def _rel(request: Request, path: Path) -> str:
    return editing.relative(_settings(request).folder, path)


def _without_server_paths(value, folders: list[Path]):
    """`value` (an answer: text, or lists and maps of it) with each path inside `folders` written
    relative to its folder: the browser needs no server's layout (/home/…, ~/.cache/…)."""
    if isinstance(value, str):
        for folder in folders:
            value = value.replace(str(folder).rstrip("/") + "/", "")
        return value
    if isinstance(value, dict):
        return {k: _without_server_paths(v, folders) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_server_paths(v, folders) for v in value]
    return value


def _page(request: Request, name: str, **context) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    lang = language()
    context.update(t=page_texts(), csrf=_csrf_token(request), lang="zh-CN" if lang == "zh_CN" else "en",
                   login=request.app.state.password.required, page=name.removesuffix(".html"))
    return templates.TemplateResponse(request, name, context)


def _voices() -> list[dict]:
    from broadcaster.speech.voices import all_profiles

    return [{"name": p.name, "display": p.display, "region": p.region} for p in all_profiles().values()]


def _engines() -> list[dict]:
    """Every engine, whether it works here (and why not), and its speakers when it has several."""
    from broadcaster.engines.base import available_engines, get_engine

    out = []
    for n, ok, why in available_engines():
        engine = get_engine(n) if ok else None
        speakers = engine.speakers() if ok and hasattr(engine, "speakers") else {}
        out.append({"name": n, "available": ok, "reason": why, "speakers": speakers})
    return out


def _speakers(engines: list[dict]) -> list[dict]:
    """The speakers the Hear page offers: male, female, then each named speaker of the engines with several."""
    sexes = {"male": _("male"), "female": _("female")}
    out = [{"name": "male", "label": sexes["male"]}, {"name": "female", "label": sexes["female"]}]
    for e in engines:
        out += [{"name": n, "label": f"{n}（{sexes.get(sex, sex)}）"} for n, sex in e["speakers"].items()]
    return out


def _output_profiles() -> list[dict]:
    from broadcaster.audio.profiles import all_output_profiles

    return [{"name": p.name, "description": p.description} for p in all_output_profiles().values()]


def _files(request: Request, kind: str | None = None) -> list[editing.FileEntry]:
    return [f for f in editing.list_files(_settings(request).folder) if kind is None or f.kind == kind]


def _notices_dir(folder: Path, sub: str) -> str:
    return f"{sub}/" if (folder / sub).is_dir() else ""


# ---------------------------------------------------------------- login
def _client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


async def login_page(request: Request) -> Response:
    if request.method != "POST":
        return _page(request, "login.html", error="")
    form = await request.form()
    _require_csrf(request, str(form.get("csrf_token", "")))
    throttle: security.LoginThrottle = request.app.state.throttle
    client = _client_address(request)
    wait = throttle.wait(client)
    if wait > 0:  # refused before the password is even checked: guessing gets no faster by hurrying
        seconds = int(wait + 0.999)
        _log(logging.WARNING, lambda: _("login from {client} refused: {n} wrong passwords in a row, the next "
                                        "try is allowed in {seconds} s").format(
            client=client, n=throttle.wrong(client), seconds=seconds))
        response = _page(request, "login.html", error=_(
            "too many wrong passwords — wait {seconds} s, then try again").format(seconds=seconds))
        response.status_code = 429
        response.headers["Retry-After"] = str(seconds)
        return response
    password: security.Password = request.app.state.password
    current = password.current()
    if current is not None and security.verify_password(current, str(form.get("password", ""))):
        throttle.succeeded(client)
        request.session.clear()  # nothing from before the login carries over into the session
        request.session["sid"] = request.app.state.sessions.open(current)
        request.session["csrf"] = security.new_csrf_token()
        _log(logging.INFO, lambda: _("{client} logged in to the desk").format(client=client))
        return RedirectResponse("/write", status_code=303)
    wrong, delay = throttle.failed(client)
    _log(logging.WARNING, lambda: _("wrong desk password from {client} ({n} in a row)").format(
        client=client, n=wrong))
    error = page_texts()["wrong_password"]
    if delay:
        error = _("wrong password — wait {seconds} s before the next try").format(seconds=int(delay + 0.999))
    return _page(request, "login.html", error=error)


async def logout(request: Request) -> Response:
    _require_csrf(request, str((await request.form()).get("csrf_token", "")))
    request.app.state.sessions.close(request.session.get("sid"))  # the cookie, if kept, opens nothing now
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# ---------------------------------------------------------------- write
def _form_for(request: Request, path: Path | None, template: str | None) -> dict:
    """What the write page's form starts with: a file's fields, or a new notice's."""
    from broadcaster import yamlsource

    forms = {f.name: f for f in editing.template_forms()}
    data: dict = {}
    raw: dict = {}
    if path is not None:
        try:
            doc = yamlsource.load(path)
            data = doc.data if isinstance(doc.data, dict) else {}
            raw = doc.raw
        except BadInput:
            data = {}
        template = data.get("template") if "template" in data else None
    form = forms.get(template) if template else None
    fields = []
    values = {k: str(raw.get(("vars", k), v)) for k, v in (data.get("vars") or {}).items()} \
        if isinstance(data.get("vars"), dict) else {}
    if form is not None:
        for name, label, example, required in form.fields:
            fields.append({"name": name, "label": label, "example": example, "required": required,
                           "value": values.get(name, "")})
    return {"template": template or "", "template_title": form.title if form else "",
            "description": form.description if form else "",
            "fields": fields, "title": str(data.get("title", "")), "text": str(data.get("text", "") or ""),
            "voice": str(data.get("voice", "") or ""), "repeat": str(raw.get(("repeat",), data.get("repeat", ""))),
            "free": not template}


async def write_page(request: Request) -> Response:
    folder = _settings(request).folder
    rel = request.query_params.get("file")
    path = _existing(request, rel) if rel else None
    template = request.query_params.get("template")
    free = request.query_params.get("free") == "1"
    known = {f.name for f in editing.template_forms()}
    if template and template not in known:
        raise RequestError(400, _("unknown template '{name}'").format(name=template))
    editing_form = _form_for(request, path, template) if (path or template or free) else None
    return _page(request, "write.html", files=_files(request, "notice"), templates=editing.template_forms(),
                 form=editing_form, file=rel or "", digest=editing.file_digest(path) if path else "",
                 voices=_voices(), new_dir=_notices_dir(folder, "notices"))


NEW_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # a new file's name, without .yaml


def _new_name(name: str) -> str:
    if not NEW_NAME.fullmatch(name):
        raise RequestError(400, _("the file name may use only a-z, 0-9, - and _ (e.g. hesuan-round9)"))
    return name


def _writable(request: Request, relative: str) -> Path:
    """A file the browser wants to write: any YAML file inside the folder that exists, or a new one
    named as every new file is (a-z, 0-9, -, _ and .yaml) in a folder the desk lists that exists."""
    path = _path(request, relative)
    if os.path.lexists(path):
        return path
    root = _settings(request).folder.resolve()
    if not relative.endswith(".yaml"):
        raise RequestError(400, _("the file name may use only a-z, 0-9, - and _ (e.g. hesuan-round9)"))
    _new_name(path.name.removesuffix(".yaml"))
    parent = path.parent.relative_to(root)
    if not path.parent.is_dir() or editing.unlisted_folder(parent.parts):
        raise RequestError(400, _("there is no folder '{folder}' for new files in the desk's folder — save it "
                                  "in a folder the desk lists, e.g. notices/").format(folder=parent.as_posix()))
    return path


def _target(request: Request, data: dict) -> tuple[Path, editing.Source]:
    """The notice file a form writes: the file being edited, or notices/<name>.yaml for a new one."""
    if data.get("file"):
        path = _writable(request, str(data["file"]))
        return path, editing.read_source(path)
    name = _new_name(str(data.get("name") or "").strip())
    rel = _notices_dir(_settings(request).folder, "notices") + name + ".yaml"
    return _path(request, rel), editing.Source()


def _errors(request: Request, errors) -> list[dict]:
    """Errors for the page: the same lines as `check`, with paths inside the folder written relative to it."""
    prefix = str(_settings(request).folder) + "/"
    return [{"field": e.field, "message": e.message.replace(prefix, "")} for e in errors]


def _field_names(data: dict) -> list[str]:
    return ["title", "text", "voice", "repeat", "template", "name"] + [f"vars.{k}" for k in (data.get("vars") or {})]


async def api_check(request: Request) -> Response:
    data = await _json(request)
    _require_csrf(request)
    path, existing = _target(request, data)
    text = editing.notice_yaml(path, existing.text, data)
    checked = editing.check_notice(path, text, _field_names(data))
    return JSONResponse({"yaml": checked.text, "spoken": checked.spoken, "errors": _errors(request, checked.errors)})


async def api_save(request: Request) -> Response:
    data = await _json(request)
    _require_csrf(request)
    path, existing = _target(request, data)
    text = editing.notice_yaml(path, existing.text, data)  # BadInput (422) when the file on disk is unreadable
    checked = editing.check_notice(path, text, _field_names(data))
    if not checked.ok:
        errors = _errors(request, checked.errors)
        return JSONResponse({"error": errors[0]["message"], "errors": errors}, status_code=422)
    try:
        new_digest = editing.save_text(path, text, str(data.get("digest") or ""), existing.encoding)
    except editing.Conflict:
        message = (_("'{name}' was changed by someone else since you opened it — your change was not saved")
                   if existing.text is not None else _("'{name}' already exists — choose another file name"))
        return JSONResponse({"error": message.format(name=_rel(request, path)) + " "
                             + page_texts()["conflict_reload"]}, status_code=409)
    return JSONResponse({"file": _rel(request, path), "digest": new_digest, "spoken": checked.spoken})


# ---------------------------------------------------------------- hear (render in the background)
def _render_work(path: Path, voice: str | None, engine: str, profile: str, speaker: str | None = None):
    def work(folder: Path, progress: Progress) -> dict:
        from broadcaster.audio.profiles import output_profile
        from broadcaster.fsutil import check_folder
        from broadcaster.notice import load_notice
        from broadcaster.render import RenderOptions, prepare, render_prepared

        progress.update(0, 2, _("checking"))
        chosen = output_profile(profile, None)
        prepared = prepare(load_notice(path), voice_override=voice or None, program=chosen.program,
                           speaker=speaker or None)
        check_folder(folder)
        progress.update(1, 2, _("speaking"))
        rendered = render_prepared(prepared, RenderOptions(out_dir=folder, engine=engine, profile=profile))
        progress.update(2, 2)
        return {**asdict(rendered), "transcript_text": prepared.transcript(), "source": str(path),
                "speaker": speaker or ""}
    return work


async def hear_page(request: Request) -> Response:
    from broadcaster.engines.base import auto_order

    engines = _engines()
    several = [e["name"] for e in engines if e["speakers"]]
    if any(n in auto_order() for n in several):
        several.append("auto")  # auto may end up with one of them
    return _page(request, "hear.html", files=_files(request, "notice") + _files(request, "jingle"),
                 file=request.query_params.get("file", ""), voices=_voices(), engines=engines,
                 profiles=_output_profiles(), engine=_settings(request).engine, speakers=_speakers(engines),
                 speaker_engines=" ".join(several))


# a whole message for each choice a form sends (the catalog's own ids where it has them)
_UNKNOWN_CHOICE = {
    "engine": lambda v: _("unknown engine '{value}'").format(value=v),
    "voice": lambda v: _("unknown voice '{name}'").format(name=v),
    "speaker": lambda v: _("unknown speaker '{value}'").format(value=v),
    "profile": lambda v: _("unknown output profile '{name}'").format(name=v),
    "form": lambda v: _("unknown form '{form}'").format(form=v),
    "rhyme": lambda v: _("unknown rhyme strictness '{strictness}'").format(strictness=v),
    "priority": lambda v: _("unknown priority '{value}'").format(value=v),
}


def _choice(value: object, allowed, what: str) -> str:
    """`value` if it is one of `allowed`, else 400 with `what`'s message and the choices."""
    value = str(value or "")
    if value not in allowed:
        raise RequestError(400, f"{_UNKNOWN_CHOICE[what](value)} — {choices_fix(value, list(allowed))}")
    return value


async def api_render(request: Request) -> Response:
    data = await _json(request)
    _require_csrf(request)
    path = _existing(request, str(data.get("file") or ""))
    engine = _choice(data.get("engine") or _settings(request).engine, ENGINES, "engine")
    voice = str(data.get("voice") or "")
    if voice:
        _choice(voice, [v["name"] for v in _voices()], "voice")
    speaker = str(data.get("speaker") or "")
    if speaker:
        _choice(speaker, [s["name"] for s in _speakers(_engines())], "speaker")
    profile = _choice(data.get("profile") or "loudspeaker", [p["name"] for p in _output_profiles()], "profile")
    job = request.app.state.jobs.submit("render", _render_work(path, voice, engine, profile, speaker))
    return JSONResponse(job.to_dict())


async def api_job(request: Request) -> Response:
    job = request.app.state.jobs.get(request.path_params["job"])
    if job is None:
        return JSONResponse({"error": _("no such job (the desk may have been restarted)")}, status_code=404)
    jobs: Jobs = request.app.state.jobs
    # the job's own files are named as /jobs/<id>/ serves them, the desk's as the pages name them
    folders = [jobs.folder(job.id), jobs.folder(job.id).resolve(), _settings(request).folder]
    return JSONResponse(_without_server_paths(job.to_dict(), folders))


async def job_file(request: Request) -> Response:
    jobs: Jobs = request.app.state.jobs
    job = jobs.get(request.path_params["job"])
    if job is None:
        raise RequestError(404, _("no such job (the desk may have been restarted)"))
    folder = jobs.folder(job.id)
    try:
        path = security.inside(folder, request.path_params["name"], ())
    except (security.OutsideFolder, BadInput):
        raise RequestError(403, _("'{name}' is outside the desk's folder").format(
            name=request.path_params["name"])) from None
    if not path.is_file() or path.name.startswith("."):
        raise RequestError(404, _("no such file"))
    return FileResponse(path)


# ---------------------------------------------------------------- jingles
async def jingles_page(request: Request) -> Response:
    from broadcaster.jingle.bank import topics
    from broadcaster.jingle.check import check_jingle
    from broadcaster.jingle.rhyme import VERDICT_LABELS
    from broadcaster.notice import load_jingle

    rel = request.query_params.get("file", "")
    strictness = request.query_params.get("rhyme", "group")
    report, error = None, ""
    if rel:
        strictness = _choice(strictness, STRICTNESS, "rhyme")
        try:
            notice = load_jingle(_existing(request, rel))
            checked = check_jingle(notice, strictness)
            report = {**checked.to_dict(), "summary": checked.summary()}
            for line in report["lines"]:  # verdicts in words, as `jingle check` prints them
                line["pairs"] = [{**p, "verdict_text": _(VERDICT_LABELS[p["verdict"]])} for p in line["pairs"]]
        except BadInput as exc:
            error = exc.message()
    return _page(request, "jingles.html", files=_files(request, "jingle"), file=rel, report=report, error=error,
                 strictness=strictness, all_strictness=STRICTNESS, forms=JINGLE_FORMS, voices=_voices(),
                 topics=[t.name for t in topics()], new_dir=_notices_dir(_settings(request).folder, "jingles"))


def _compose(data: dict):
    from broadcaster.jingle.compose import compose
    from broadcaster.speech.voices import get_profile

    form = _choice(data.get("form"), JINGLE_FORMS, "form")
    names = [t for t in re.split(r"[,，、\s]+", str(data.get("topics") or "")) if t]
    seed = str(data.get("seed") or "0").strip()
    if not seed.lstrip("-").isdigit():
        raise BadInput(_("'{value}' is not a whole number").format(value=seed), _("write e.g. 0, 1 or 2"))
    profile = get_profile(str(data.get("voice") or "") or None)
    return compose(form, names, place=str(data.get("place") or ""), voice=profile, seed=int(seed))


async def api_compose(request: Request) -> Response:
    data = await _json(request)
    _require_csrf(request)
    result = _compose(data)
    return JSONResponse({"lines": list(result.lines), "report": result.report.to_dict(),
                         "yaml": result.to_yaml(None, None)})


async def api_jingle_save(request: Request) -> Response:
    data = await _json(request)
    _require_csrf(request)
    name = _new_name(str(data.get("name") or "").strip())
    path = _path(request, _notices_dir(_settings(request).folder, "jingles") + name + ".yaml")
    text = _compose(data).to_yaml(name, str(data.get("title") or "") or None)
    checked = editing.check_notice(path, text, [])
    if not checked.ok:
        return JSONResponse({"error": checked.errors[0].message}, status_code=422)
    try:
        editing.save_text(path, text, "")
    except editing.Conflict:
        return JSONResponse({"error": _("'{name}' already exists — choose another file name").format(
            name=_rel(request, path))}, status_code=409)
    return JSONResponse({"file": _rel(request, path)})


# ---------------------------------------------------------------- schedule
def _schedules(request: Request) -> list[editing.FileEntry]:
    return _files(request, "schedule")


def _schedule_path(request: Request, rel: str | None) -> Path:
    """The schedule named, else the folder's first, else schedule.yaml (made on the first add)."""
    if rel:
        return _writable(request, rel)
    found = _schedules(request)
    return _path(request, found[0].path if found else "schedule.yaml")


def _channels_of(path: Path) -> list[dict]:
    from broadcaster.schedule.load import load_schedule

    try:
        return [{"id": c.id, "name": c.name} for c in load_schedule(path).channels.values()]
    except BadInput:
        return [{"id": "village", "name": "village"}]


def _daemons(request: Request) -> list:
    from broadcaster.player.asrun import AsRunLog
    from broadcaster.player.control import daemons_for

    try:
        return daemons_for(AsRunLog(_log_path(request)), None)
    except BroadcasterError:
        return []


def _log_path(request: Request) -> Path:
    from broadcaster.player.control import default_log_path

    return _settings(request).log_path or default_log_path()


async def schedule_page(request: Request) -> Response:
    path = _schedule_path(request, request.query_params.get("file"))
    return _page(request, "schedule.html", schedules=_schedules(request), file=_rel(request, path),
                 exists=path.is_file(), channels=_channels_of(path) if path.is_file()
                 else [{"id": "village", "name": "village"}],
                 notices=_files(request, "notice") + _files(request, "jingle"), priorities=PRIORITIES,
                 today=date.today().isoformat(), daemons=_daemons(request))


PLAN_DAYS = 7  # the schedule page shows a week from the day chosen


def _plan_work(path: Path, first: date, days: int, engine: str):
    def work(folder: Path, progress: Progress) -> dict:
        from broadcaster.fsutil import write_text
        from broadcaster.schedule.window import plan_window

        progress.update(0, 2, _("making the audio the plan needs"))
        window = plan_window(path, first, days, engine, folder / "audio",
                             on_rendered=lambda: progress.update(1, 2, _("planning")))
        out = []
        for day in window.by_day():
            name = f"{day.day.isoformat()}.svg"
            write_text(folder / name, window.picture(day))
            out.append({"day": day.day.isoformat(), "svg": name, "plays": len(day.plays),
                        "titles": sorted({p.title or p.notice for p in day.plays})})
        progress.update(2, 2)
        return {"days": out, "note": window.note() or ""}
    return work


async def api_plan(request: Request) -> Response:
    data = await _json(request)
    _require_csrf(request)
    path = _existing(request, str(data.get("file") or ""))
    try:
        first = date.fromisoformat(str(data.get("from") or date.today().isoformat()))
    except ValueError:
        raise RequestError(400, _("invalid date '{value}' — write it as 2021-10-27").format(
            value=data.get("from"))) from None
    job = request.app.state.jobs.submit("plan", _plan_work(path, first, PLAN_DAYS, _settings(request).engine))
    return JSONResponse(job.to_dict())


SCHEDULE_FIELDS = ["notice", "channel", "dates", "times", "priority"]


async def api_schedule_add(request: Request) -> Response:
    data = await _json(request)
    _require_csrf(request)
    path = _schedule_path(request, str(data.get("file") or "") or None)
    notice = _existing(request, str(data.get("notice") or ""))
    _choice(data.get("priority") or "normal", PRIORITIES, "priority")
    existing = editing.read_source(path)
    text = editing.schedule_with(existing.text, path, notice, data)  # BadInput (422) when unreadable
    checked = editing.check_schedule(path, text, SCHEDULE_FIELDS)
    if not checked.ok:
        errors = _errors(request, checked.errors)
        return JSONResponse({"error": errors[0]["message"], "errors": errors}, status_code=422)
    try:
        editing.save_text(path, text, str(data.get("digest") or existing.digest), existing.encoding)
    except editing.Conflict:
        return JSONResponse({"error": _("'{name}' was changed by someone else since you opened it — your change "
                                        "was not saved").format(name=_rel(request, path)) + " "
                             + page_texts()["conflict_reload"]}, status_code=409)
    return JSONResponse({"file": _rel(request, path)})


EMERGENCY_ANSWER_S = 30.0  # a daemon answers within a poll; a loaded village PC may take longer than `play`'s 5 s


def _emergency_work(path: Path, folder: Path, engine: str, log_path: Path):
    """Render the notice with the desk's engine, then hand it to every running player (player.control.send)."""
    def work() -> list:
        from broadcaster.fsutil import check_folder
        from broadcaster.notice import load_notice
        from broadcaster.player.asrun import AsRunLog
        from broadcaster.player.control import Audio, daemons_for, send
        from broadcaster.render import RenderOptions, prepare, render_prepared

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

    data = await _json(request)
    _require_csrf(request)
    path = _existing(request, str(data.get("file") or ""))
    settings = _settings(request)
    folder = settings.jobs_dir / "emergency"
    answers = await run_in_threadpool(_emergency_work(path, folder, settings.engine, _log_path(request)))
    return JSONResponse({"answers": [{"channel": a.channel, "accepted": a.accepted, "already_airing": a.already,
                                      "note": a.note} for a in answers]})


# ---------------------------------------------------------------- report
def _report(request: Request) -> tuple[date, list[dict]]:
    from broadcaster.player.asrun import AsRunLog
    from broadcaster.player.control import parse_day

    day = parse_day(request.query_params.get("day") or "today", "day")
    path = _log_path(request)
    if not path.exists():
        return day, []
    return day, AsRunLog(path).report(day, day).rows


async def report_page(request: Request) -> Response:
    try:
        day, rows = _report(request)
        error = ""
    except BadInput as exc:
        day, rows, error = date.today(), [], exc.message()
    from broadcaster.player.asrun import status_label

    rows = [{**r, "status_text": status_label(r["status"])} for r in rows]  # the class keeps the English value
    return _page(request, "report.html", day=day.isoformat(), rows=rows, error=error)


async def report_csv(request: Request) -> Response:
    from broadcaster.player.asrun import csv_bytes

    day, rows = _report(request)  # the same rows and bytes as `broadcaster log --from DAY --to DAY --csv`
    return Response(csv_bytes(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="asrun-{day.isoformat()}.csv"'})


# ---------------------------------------------------------------- batch
async def batch_page(request: Request) -> Response:
    return _page(request, "batch.html", files=_files(request, "notice"), engines=_engines(),
                 profiles=_output_profiles(), engine=_settings(request).engine)


def _batch_work(notice: Path, csv_name: str, engine: str, profile: str):
    def work(folder: Path, progress: Progress) -> dict:
        from broadcaster.batch import read_villages, render_batch

        csv_path = folder / csv_name
        total = len(read_villages(csv_path))
        progress.update(0, total, _("rendering"))
        count = {"n": 0}

        def on_row(_row) -> None:
            count["n"] += 1
            progress.update(count["n"], total)

        results = render_batch(notice, csv_path, folder / "out", jobs=1, engine=engine, profile=profile,
                               on_row=on_row)
        rows = []
        for r in results:
            entry = r.entry or {}
            file = f"out/{entry['file']}" if entry.get("file") else ""  # the entry's file names the village folder
            rows.append({"village": r.village, "status": r.status, "message": r.message, "file": file})
        return {"rows": rows}
    return work


async def api_batch(request: Request) -> Response:
    from broadcaster.fsutil import write_bytes

    async with request.form(max_files=1, max_fields=10, max_part_size=MAX_BODY) as form:
        _require_csrf(request, str(form.get("csrf_token", "")))
        notice = _existing(request, str(form.get("notice") or ""))
        engine = _choice(form.get("engine") or _settings(request).engine, ENGINES, "engine")
        profile = _choice(form.get("profile") or "loudspeaker", [p["name"] for p in _output_profiles()], "profile")
        upload = form.get("villages")
        if upload is None or isinstance(upload, str):
            raise RequestError(400, _("choose a villages CSV file"))
        data = await upload.read(MAX_BODY + 1)
        if len(data) > MAX_BODY:
            raise RequestError(413, _("the upload is larger than {mb} MB — send a smaller file").format(
                mb=MAX_BODY >> 20))
    jobs: Jobs = request.app.state.jobs

    def work(folder: Path, progress: Progress) -> dict:
        write_bytes(folder / "villages.csv", data)  # the upload is kept with the job's output
        return _batch_work(notice, "villages.csv", engine, profile)(folder, progress)

    job = jobs.submit("batch", work)
    return JSONResponse(job.to_dict())


# ---------------------------------------------------------------- app
async def home(request: Request) -> Response:
    return RedirectResponse("/write", status_code=303)


PUBLIC = ("/login", "/static/")


def create_app(settings: DeskSettings) -> Starlette:
    """The desk as an ASGI app over `settings.folder`."""
    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/write", write_page),
        Route("/hear", hear_page),
        Route("/jingles", jingles_page),
        Route("/schedule", schedule_page),
        Route("/report", report_page),
        Route("/report.csv", report_csv),
        Route("/batch", batch_page),
        Route("/api/check", api_check, methods=["POST"]),
        Route("/api/save", api_save, methods=["POST"]),
        Route("/api/render", api_render, methods=["POST"]),
        Route("/api/jobs/{job}", api_job),
        Route("/jobs/{job}/{name:path}", job_file),
        Route("/api/compose", api_compose, methods=["POST"]),
        Route("/api/jingle/save", api_jingle_save, methods=["POST"]),
        Route("/api/plan", api_plan, methods=["POST"]),
        Route("/api/schedule/add", api_schedule_add, methods=["POST"]),
        Route("/api/emergency", api_emergency, methods=["POST"]),
        Route("/api/batch", api_batch, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    async def refused(request: Request, exc: RequestError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return PlainTextResponse(exc.message, status_code=exc.status)

    async def bad_input(request: Request, exc: BadInput) -> Response:
        errors = _errors(request, [editing.FieldError("", m) for m in exc.lines()])
        return JSONResponse({"error": errors[0]["message"], "errors": errors}, status_code=422)

    async def could_not(request: Request, exc: BroadcasterError) -> Response:
        return JSONResponse({"error": _without_server_paths(str(exc), [settings.folder])}, status_code=500)

    password = security.Password(settings.password_hash, settings.password_file)
    sessions = security.Sessions()

    class LoginWall:
        """Without a live session, only the login page and static files answer (LAN mode)."""

        def __init__(self, app) -> None:
            self.app = app

        async def __call__(self, scope, receive, send) -> None:
            if scope["type"] == "http" and password.required and not scope["path"].startswith(PUBLIC) \
                    and not sessions.valid(scope.get("session", {}).get("sid"), password.current()):
                if scope["path"].startswith("/api/") or scope["method"] != "GET":
                    response: Response = JSONResponse({"error": _("log in first")}, status_code=401)
                else:
                    response = RedirectResponse("/login", status_code=303)
                return await response(scope, receive, send)
            return await self.app(scope, receive, send)

    middleware = [
        Middleware(Guard, names=settings.names + (("testserver",) if settings.testing else ())),
        Middleware(LanguageAndLimits),
        Middleware(SessionMiddleware, secret_key=settings.secret, session_cookie="broadcaster_desk",
                   same_site="strict", https_only=False, max_age=security.SESSION_SECONDS),
        Middleware(LoginWall),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={RequestError: refused, BadInput: bad_input, BroadcasterError: could_not})
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.templates = templates
    app.state.settings = settings
    app.state.jobs = Jobs(settings.jobs_dir)
    app.state.password, app.state.sessions = password, sessions
    app.state.throttle = security.LoginThrottle()
    return app


def jobs_dir_for(folder: Path) -> Path:
    """Audio and other job output for one folder, in the user's cache (not in the folder itself)."""
    import hashlib

    import platformdirs

    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]
    return Path(platformdirs.user_cache_dir("broadcaster", appauthor=False)) / "desk" / key
