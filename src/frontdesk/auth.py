"""Who is calling, decided in one place for every route: the API, /source, /readyz details and
the web chat (Gradio) all sit behind `AccessMiddleware`.

- With `FRONTDESK_API_KEYS`, a caller is one of the keys: a bearer header (bots) or a session
  cookie that the web login (`/login`) signs with that key. The caller's identity — the *owner*
  of the threads it creates — is a fingerprint of the key, never the key itself and never a user
  name typed at a login form. Keys are compared in constant time; wrong keys are answered
  slowly, and a client that keeps guessing is locked out for a while.
- Without keys the server is single-user on loopback: every caller is `local`, but requests must
  carry a loopback `Host` (DNS rebinding) and may not come from another site (`Origin`,
  `Sec-Fetch-Site`); state-changing requests must be JSON (a cross-site form cannot send that).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from frontdesk.errors import error_json
from frontdesk.settings import Settings

LOCAL = "local"
COOKIE = "frontdesk_session"
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/login", "/logout", "/favicon.ico"})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Non-JSON bodies that a browser page of ours legitimately sends: file uploads and the login form.
FORM_ROUTES = {
    "/gradio_api/upload": "multipart/form-data",
    "/login": "application/x-www-form-urlencoded",
}

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Caller:
    owner: str  # owns the threads this caller creates
    via: str  # "key", "session" or "local"


def fingerprint(key: str) -> str:
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:16]


class Throttle:
    """Slows down wrong credentials per client address, and locks out a client that keeps trying."""

    def __init__(self, base: float = 0.25, cap: float = 2.0, lockout_after: int = 10) -> None:
        self.base, self.cap, self.lockout_after = base, cap, lockout_after
        self.window = 900.0  # failures older than this are forgotten
        self._fails: dict[str, tuple[int, float]] = {}

    def _count(self, client: str) -> int:
        count, last = self._fails.get(client, (0, 0.0))
        return count if time.monotonic() - last < self.window else 0

    def locked(self, client: str) -> bool:
        return self._count(client) >= self.lockout_after

    def delay(self, client: str) -> float:
        """Record one failure; the seconds to wait before answering it."""
        count = self._count(client) + 1
        self._fails[client] = (count, time.monotonic())
        if len(self._fails) > 10_000:  # bounded memory under a spray of addresses
            self._fails.pop(next(iter(self._fails)))
        return min(self.base * 2 ** (count - 1), self.cap)

    def succeeded(self, client: str) -> None:
        self._fails.pop(client, None)


class Gatekeeper:
    """Checks credentials; signs and reads web sessions bound to one key."""

    def __init__(self, settings: Settings) -> None:
        self.keys = sorted(settings.api_key_set)
        self.session_seconds = int(settings.session_hours * 3600)
        self.allowed_hosts = settings.allowed_host_set
        self.throttle = Throttle()

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def match(self, candidate: str) -> str | None:
        """The configured key equal to `candidate` (every key compared, in constant time)."""
        found = None
        for key in self.keys:
            if hmac.compare_digest(key.encode(), candidate.encode()):
                found = key
        return found

    def sign(self, key: str, expires: int | None = None) -> str:
        expires = expires or int(time.time()) + self.session_seconds
        body = f"{fingerprint(key)}.{expires}"
        mac = hmac.new(key.encode(), f"frontdesk-session:{body}".encode(), "sha256").hexdigest()
        return f"{body}.{mac}"

    def session(self, cookie: str) -> Caller | None:
        parts = cookie.split(".")
        if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) < time.time():
            return None
        for key in self.keys:  # the key it names must still be configured
            if fingerprint(key) == parts[0]:
                expected = self.sign(key, int(parts[1]))
                if hmac.compare_digest(expected.encode(), cookie.encode()):
                    return Caller(parts[0], "session")
        return None

    def authenticate(self, headers: dict[str, str], cookies: dict[str, str]) -> Caller | None:
        if not self.enabled:
            return Caller(LOCAL, "local")
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            key = self.match(auth[7:].strip())
            return Caller(fingerprint(key), "key") if key else None
        if COOKIE in cookies:
            return self.session(cookies[COOKIE])
        return None

    def host_allowed(self, host: str) -> bool:
        name = urlsplit(f"//{host}").hostname or ""
        if self.allowed_hosts:
            return "*" in self.allowed_hosts or name in self.allowed_hosts
        # Keyless servers are loopback-only: a foreign Host is a DNS-rebinding page.
        return self.enabled or name in LOOPBACK_HOSTS


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out[name] = value
    return out


def cross_site(method: str, path: str, headers: dict[str, str]) -> str | None:
    """Why a state-changing request looks like it came from another site, or None."""
    if method in SAFE_METHODS:
        return None
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return f"cross-site request refused (Sec-Fetch-Site: {headers['sec-fetch-site']})"
    origin = headers.get("origin")
    if origin and urlsplit(origin).netloc != headers.get("host", ""):
        return f"cross-origin request refused (Origin: {origin})"
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    allowed = FORM_ROUTES.get(path.rstrip("/"), "application/json")
    if (ctype or has_body) and ctype not in ("application/json", allowed):
        return f"{method} {path} needs Content-Type application/json (got {ctype or 'none'})"
    return None


def _error(status: int, message: str, code: str) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    body = error_json(message, "invalid_request_error", code)
    return status, body, [(b"content-type", b"application/json")]


class AccessMiddleware:
    """Every HTTP request passes here first: host, origin, credentials; then the app."""

    def __init__(self, app: Any, gate: Gatekeeper, csp: str) -> None:
        self.app, self.gate = app, gate
        self.extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        self.csp = (b"content-security-policy", csp.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        method, path = scope["method"], scope["path"]
        client = (scope.get("client") or ("?", 0))[0]
        if not self.gate.host_allowed(headers.get("host", "")):
            await _respond(
                send,
                *_error(421, f"host '{headers.get('host', '')}' is not served here", "bad_host"),
            )
            return
        reason = cross_site(method, path, headers)
        if reason:
            await _respond(send, *_error(403, reason, "cross_site"))
            return
        if path == "/login" and self.gate.enabled:
            await self._login(scope, receive, send, headers, client)
            return
        if path == "/logout":
            await _redirect(send, "/login" if self.gate.enabled else "/", clear=True)
            return
        cookies = _cookies(headers.get("cookie", ""))
        presented = "authorization" in headers or COOKIE in cookies
        if self.gate.enabled and presented and self.gate.throttle.locked(client):
            # No key is even compared for a client that keeps guessing.
            await _respond(
                send, *_error(429, "too many failed sign-ins; wait 15 minutes", "locked_out")
            )
            return
        caller = self.gate.authenticate(headers, cookies)
        if caller is None and path not in PUBLIC_PATHS:
            if presented:
                await asyncio.sleep(self.gate.throttle.delay(client))
            if method == "GET" and "text/html" in headers.get("accept", ""):
                await _redirect(send, "/login")
                return
            await _respond(
                send,
                *_error(
                    401,
                    "missing or wrong API key: send 'Authorization: Bearer <key>'",
                    "invalid_api_key",
                ),
            )
            return
        scope.setdefault("state", {})["caller"] = caller

        async def send_hardened(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [h for h in self.extra if h[0] not in names]
                if self.csp[0] not in names:
                    headers.append(self.csp)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_hardened)

    async def _login(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], client: str
    ) -> None:
        if scope["method"] != "POST":
            await _respond(send, 200, LOGIN_PAGE.format(error="").encode(), HTML_HEADERS)
            return
        if self.gate.throttle.locked(client):
            await _respond(send, 429, LOGIN_PAGE.format(error=LOCKED).encode(), HTML_HEADERS)
            return
        body = b""
        while len(body) <= 4096:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        key = parse_qs(body.decode("utf-8", "replace")[:4096]).get("key", [""])[0]
        matched = self.gate.match(key) if key else None
        if matched is None:
            await asyncio.sleep(self.gate.throttle.delay(client))
            await _respond(send, 401, LOGIN_PAGE.format(error=WRONG_KEY).encode(), HTML_HEADERS)
            return
        self.gate.throttle.succeeded(client)
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = (
            f"{COOKIE}={self.gate.sign(matched)}; Path=/; HttpOnly; SameSite=Strict"
            f"; Max-Age={self.gate.session_seconds}{secure}"
        )
        await _respond(send, 303, b"", [(b"location", b"/"), (b"set-cookie", cookie.encode())])


def caller_of(request: Any) -> Caller:
    """The caller the middleware admitted (a FastAPI `Request`, or Gradio's `gr.Request`)."""
    inner = getattr(request, "request", request)  # gr.Request wraps the Starlette request
    caller = getattr(getattr(inner, "state", None), "caller", None)
    if caller is None:
        raise PermissionError("request reached the app without passing AccessMiddleware")
    return caller


def gradio_user(request: Any) -> str | None:
    """Gradio's `auth_dependency`: the owner id, so `gr.Request.username` names the caller."""
    caller = getattr(getattr(request, "state", None), "caller", None)
    return caller.owner if caller else None


HTML_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"cache-control", b"no-store"),
]
WRONG_KEY = "<p role='alert'>That is not one of this server's keys.</p>"
LOCKED = "<p role='alert'>Too many failed sign-ins from here; wait 15 minutes.</p>"
LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>frontdesk — sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:24em;margin:4em auto;padding:0 1em}}
input,button{{font-size:1em;padding:.5em;width:100%;box-sizing:border-box;margin:.3em 0}}</style>
</head><body><h1>frontdesk</h1><p>Sign in with one of the server's API keys.</p>{error}
<form method="post" action="/login"><label for="key">API key</label>
<input id="key" name="key" type="password" autocomplete="current-password" autofocus required>
<button type="submit">Sign in</button></form></body></html>"""


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str, clear: bool = False) -> None:
    headers = [(b"location", location.encode())]
    if clear:
        headers.append((b"set-cookie", f"{COOKIE}=; Path=/; Max-Age=0".encode()))
    await _respond(send, 303, b"", headers)
