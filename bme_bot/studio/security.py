"""Who may use the studio. By default it binds to 127.0.0.1 and answers only requests whose
Host is a loopback name (a web page elsewhere cannot reach it by DNS rebinding). Any other
bind needs a random token that every request carries (query, cookie or header), compared in
constant time. Every answer forbids other origins' scripts, frames and referrers."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bme_bot.errors import ConfigError

TOKEN_COOKIE = "studio_token"  # noqa: S105 - a cookie name, not a secret
TOKEN_HEADER = "X-Studio-Token"  # noqa: S105 - a header name
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    if host.strip("[]") in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve a non-loopback address without a token."""
    if not is_loopback(host) and not token:
        raise ConfigError(f"the studio binds to {host} only with a token (loopback needs none)")


def guard(token: str | None) -> Any:
    """The middleware: the token (or a loopback Host), JSON for changes, strict headers."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = (
            request.query.get("token")
            or request.headers.get(TOKEN_HEADER)
            or request.cookies.get(TOKEN_COOKIE)
            or ""
        )
        if token is not None:
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise web.HTTPForbidden(text="studio: a valid token is needed")
        elif not is_loopback(request.url.host or ""):
            raise web.HTTPForbidden(text="studio: only loopback host names are served")
        if request.method == "POST" and request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="studio: send JSON")
        response = await handler(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        if token is not None and request.query.get("token"):
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
        return response

    return middleware
