"""What every page of the desk uses: its settings, the CSRF check, JSON forms, files inside its folder,
rendering a page, and the choices forms offer (checked here before anything runs)."""
from __future__ import annotations

import contextvars
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from broadcaster.audio.profiles import all_output_profiles
from broadcaster.config import default_log_path
from broadcaster.desk import editing, security
from broadcaster.desk.texts import page_texts, script_texts
from broadcaster.engines.base import available_engines, get_engine
from broadcaster.errors import BadInput, OutsideFolder, RequestError
from broadcaster.i18n import N_, _, language
from broadcaster.vocabulary import HAN_CLASS
from broadcaster.speech.voices import all_profiles
from broadcaster.yamlsource import choices_fix

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


def settings_of(request: Request) -> DeskSettings:
    return request.app.state.settings


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = security.new_csrf_token()
        request.session["csrf"] = token
    return token


def require_csrf(request: Request, given: str | None = None) -> None:
    given = given or request.headers.get("x-csrf-token")
    if not security.same_token(request.session.get("csrf"), given):
        raise RequestError(403, _("this change was refused: the page's security token is missing or old — "
                                  "reload the page and try again"))


def server_log(level: int, message) -> None:
    """Log a line for whoever runs the desk, in the server's language (not the browser's)."""
    logging.getLogger("broadcaster.desk").log(level, contextvars.Context().run(message))


async def json_form(request: Request) -> dict:
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


def folder_path(request: Request, relative: str, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> Path:
    """A file named by the browser, inside the desk's folder or refused (400/403)."""
    try:
        return security.inside(settings_of(request).folder, relative, suffixes)
    except OutsideFolder:
        raise RequestError(403, _("'{name}' is outside the desk's folder").format(name=relative)) from None
    except BadInput as exc:
        raise RequestError(400, exc.message()) from None


def existing_file(request: Request, relative: str) -> Path:
    path = folder_path(request, relative)
    if not path.is_file():
        raise RequestError(404, _("'{name}' is not in the desk's folder").format(name=relative))
    return path


def relative_name(request: Request, path: Path) -> str:
    return editing.relative(settings_of(request).folder, path)


def without_server_paths(value, folders: list[Path]):
    """`value` (an answer: text, or lists and maps of it) with each path inside `folders` written
    relative to its folder: the browser needs no server's layout (/home/…, ~/.cache/…)."""
    if isinstance(value, str):
        for folder in folders:
            value = value.replace(str(folder).rstrip("/") + "/", "")
        return value
    if isinstance(value, dict):
        return {k: without_server_paths(v, folders) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_server_paths(v, folders) for v in value]
    return value


def page(request: Request, name: str, **context) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    lang = language()
    texts = page_texts()
    context.update(t=texts, script_texts=script_texts(texts), csrf=csrf_token(request),
                   lang="zh-CN" if lang == "zh_CN" else "en", login=request.app.state.password.required,
                   page=name.removesuffix(".html"))
    return templates.TemplateResponse(request, name, context)


def voices() -> list[dict]:
    return [{"name": p.name, "display": p.display, "region": p.region} for p in all_profiles().values()]


def engine_choices() -> list[dict]:
    """Every engine, whether it works here (and why not), and its speakers when it has several; `label`
    says what it is in plain words."""
    texts = page_texts()
    out = []
    for n, ok, why in available_engines():
        engine = get_engine(n) if ok else None
        speakers = engine.speakers() if ok and hasattr(engine, "speakers") else {}
        label = texts.get(f"engine_{n}", n)
        out.append({"name": n, "available": ok, "reason": why, "speakers": speakers,
                    "label": label if ok else texts["engine_off"].format(engine=label)})
    return out


def speaker_choices(engines: list[dict]) -> list[dict]:
    """The speakers the Hear page offers: male, female, then each named speaker of the engines with several."""
    sexes = {"male": _("male"), "female": _("female")}
    out = [{"name": "male", "label": sexes["male"]}, {"name": "female", "label": sexes["female"]}]
    for e in engines:
        out += [{"name": n, "label": f"{n}（{sexes.get(sex, sex)}）"} for n, sex in e["speakers"].items()]
    return out


def output_profiles() -> list[dict]:
    """The output profiles, each with its `label` in plain words (大喇叭, 宣传车, TF卡…) and its description."""
    texts = page_texts()
    return [{"name": p.name, "description": p.description, "label": texts.get(f"output_{p.name}", p.name)}
            for p in all_output_profiles().values()]


def channel_kind(kind: str) -> str:
    """A channel's kind in plain words (loudspeaker -> 大喇叭, truck -> 宣传车)."""
    return page_texts().get(f"kind_{kind}", kind)


def files_of_kind(request: Request, kind: str | None = None) -> list[editing.FileEntry]:
    return [f for f in editing.list_files(settings_of(request).folder) if kind is None or f.kind == kind]


def new_files_dir(folder: Path, sub: str) -> str:
    return f"{sub}/" if (folder / sub).is_dir() else ""


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


def choice(value: object, allowed, what: str) -> str:
    """`value` if it is one of `allowed`, else 400 with `what`'s message and the choices."""
    value = str(value or "")
    if value not in allowed:
        raise RequestError(400, f"{_UNKNOWN_CHOICE[what](value)} — {choices_fix(value, list(allowed))}")
    return value


def folder_prefix(request: Request) -> str:
    """The folder's path with its slash: what a page leaves out of `check`'s lines (paths relative to it)."""
    return str(settings_of(request).folder) + "/"


def page_errors(request: Request, errors) -> list[dict]:
    """Errors for the page: the same lines as `check`, with paths inside the folder written relative to it."""
    return [{"field": e.field, "message": e.message.replace(folder_prefix(request), "")} for e in errors]


# a new file's name, without .yaml: Chinese as officials name things (停水通知), or an id (hesuan-round9); the
# notice's id then comes from its title or its name (notice.py), and its audio files are named in ASCII
NEW_NAME = re.compile(f"[a-z0-9{HAN_CLASS}][a-z0-9_{HAN_CLASS}-]{{0,63}}")
BAD_NEW_NAME = N_("the file name may use Chinese characters, a-z, 0-9, - and _ (e.g. 停水通知 or hesuan-round9)")


def new_name(name: str) -> str:
    if not NEW_NAME.fullmatch(name):
        raise RequestError(400, _(BAD_NEW_NAME))
    return name


def writable(request: Request, relative: str) -> Path:
    """A file the browser wants to write: any YAML file inside the folder that exists, or a new one
    named as every new file is (a-z, 0-9, -, _ and .yaml) in a folder the desk lists that exists."""
    path = folder_path(request, relative)
    if os.path.lexists(path):
        return path
    root = settings_of(request).folder.resolve()
    if not relative.endswith(".yaml"):
        raise RequestError(400, _(BAD_NEW_NAME))
    new_name(path.name.removesuffix(".yaml"))
    parent = path.parent.relative_to(root)
    if not path.parent.is_dir() or editing.unlisted_folder(parent.parts):
        raise RequestError(400, _("there is no folder '{folder}' for new files in the desk's folder — save it "
                                  "in a folder the desk lists, e.g. notices/").format(folder=parent.as_posix()))
    return path


def asrun_path(request: Request) -> Path:
    return settings_of(request).log_path or default_log_path()
