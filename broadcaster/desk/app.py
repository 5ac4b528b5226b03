"""The web desk (`broadcaster serve`): pages over a folder of notices, jingles and a schedule.

It owns no rule of its own: every check, render, plan and report is the same function the
CLI calls, and errors are shown with the same one-line messages. It writes only YAML files inside its
folder, and the takes an official keeps from the Record page (atomically); other audio goes to the desk's
job folders in the user's cache.
"""
from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from broadcaster.desk import editing, security
from broadcaster.desk.common import DeskSettings, page_errors, without_server_paths
from broadcaster.desk.jobs import Jobs
from broadcaster.desk.middleware import Guard, LanguageAndLimits
from broadcaster.desk.pages.api import api_job, job_file
from broadcaster.desk.pages.asrun import asrun_csv, asrun_page, asrun_report
from broadcaster.desk.pages.batch import api_batch, batch_page
from broadcaster.desk.pages.hear import api_render, hear_page
from broadcaster.desk.pages.jingles import api_compose, api_jingle_save, jingles_page
from broadcaster.desk.pages.login import login_page, logout
from broadcaster.desk.pages.record import MAX_TAKE_BODY, PREVIEW_PATH, api_record_keep, api_record_preview, record_page
from broadcaster.desk.pages.schedule import (api_emergency, api_plan, api_schedule_add, api_schedule_when,
                                             schedule_page)
from broadcaster.desk.pages.write import api_check, api_save, write_page
from broadcaster.errors import BadInput, BroadcasterError, RequestError
from broadcaster.i18n import _


HERE = Path(__file__).parent


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
        Route("/report", asrun_page),
        Route("/report.csv", asrun_csv),
        Route("/report/download", asrun_report),
        Route("/batch", batch_page),
        Route("/record", record_page),
        Route(PREVIEW_PATH, api_record_preview, methods=["POST"]),
        Route("/api/record/keep", api_record_keep, methods=["POST"]),
        Route("/api/check", api_check, methods=["POST"]),
        Route("/api/save", api_save, methods=["POST"]),
        Route("/api/render", api_render, methods=["POST"]),
        Route("/api/jobs/{job}", api_job),
        Route("/jobs/{job}/{name:path}", job_file),
        Route("/api/compose", api_compose, methods=["POST"]),
        Route("/api/jingle/save", api_jingle_save, methods=["POST"]),
        Route("/api/plan", api_plan, methods=["POST"]),
        Route("/api/schedule/add", api_schedule_add, methods=["POST"]),
        Route("/api/schedule/when", api_schedule_when, methods=["POST"]),
        Route("/api/emergency", api_emergency, methods=["POST"]),
        Route("/api/batch", api_batch, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    async def refused(request: Request, exc: RequestError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return PlainTextResponse(exc.message, status_code=exc.status)

    async def bad_input(request: Request, exc: BadInput) -> Response:
        errors = page_errors(request, [editing.FieldError("", m) for m in exc.lines()])
        return JSONResponse({"error": errors[0]["message"], "errors": errors}, status_code=422)

    async def could_not(request: Request, exc: BroadcasterError) -> Response:
        return JSONResponse({"error": without_server_paths(str(exc), [settings.folder])}, status_code=500)

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
        Middleware(LanguageAndLimits, larger={PREVIEW_PATH: MAX_TAKE_BODY}),  # a take may be 15 minutes
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
