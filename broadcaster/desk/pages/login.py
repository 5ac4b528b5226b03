"""The login page (LAN mode): a password, throttled per client; logging out ends the session on the server."""
from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from broadcaster.desk import security
from broadcaster.desk.common import page, require_csrf, server_log
from broadcaster.desk.texts import page_texts
from broadcaster.i18n import _


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


async def login_page(request: Request) -> Response:
    if request.method != "POST":
        return page(request, "login.html", error="")
    form = await request.form()
    require_csrf(request, str(form.get("csrf_token", "")))
    throttle: security.LoginThrottle = request.app.state.throttle
    client = _client_address(request)
    wait = throttle.wait(client)
    if wait > 0:  # refused before the password is even checked: guessing gets no faster by hurrying
        seconds = int(wait + 0.999)
        server_log(logging.WARNING, lambda: _("login from {client} refused: {n} wrong passwords in a row, the next "
                                        "try is allowed in {seconds} s").format(
            client=client, n=throttle.wrong(client), seconds=seconds))
        response = page(request, "login.html", error=_(
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
        server_log(logging.INFO, lambda: _("{client} logged in to the desk").format(client=client))
        return RedirectResponse("/write", status_code=303)
    wrong, delay = throttle.failed(client)
    server_log(logging.WARNING, lambda: _("wrong desk password from {client} ({n} in a row)").format(
        client=client, n=wrong))
    error = page_texts()["wrong_password"]
    if delay:
        error = _("wrong password — wait {seconds} s before the next try").format(seconds=int(delay + 0.999))
    return page(request, "login.html", error=error)


async def logout(request: Request) -> Response:
    require_csrf(request, str((await request.form()).get("csrf_token", "")))
    request.app.state.sessions.close(request.session.get("sid"))  # the cookie, if kept, opens nothing now
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
