"""The desk's ASGI middleware, outermost first: answer only to its own host names (Guard), then in the
browser's language with bodies capped (LanguageAndLimits). The login wall is create_app's (it needs the app's
password and sessions)."""
from __future__ import annotations

from broadcaster.desk import security
from broadcaster.desk.common import MAX_BODY
from broadcaster.i18n import _, use_language


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
    """Per request: answer in the browser's language; refuse bodies over MAX_BODY (413), or over the
    larger limit given for a path (`larger`: a take from the record page)."""

    def __init__(self, app, larger: dict[str, int] | None = None) -> None:
        self.app, self.larger = app, dict(larger or {})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        use_language(_accept_language(headers.get("accept-language", "")))
        limit = self.larger.get(scope.get("path", ""), MAX_BODY)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return await _too_large(send, limit)
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
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
                await _too_large(send, limit)


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


async def _too_large(send, limit: int = MAX_BODY) -> None:
    body = _("the upload is larger than {mb} MB — send a smaller file").format(mb=limit >> 20).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})
