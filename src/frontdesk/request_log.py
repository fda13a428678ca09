"""One log line per request, a request id on every response, and a traceback for every 5xx.

`RequestLog` is an ASGI middleware: it takes `X-Request-ID` from the request (when it is a sane
token) or makes one, returns it in the response header, and logs when the response is done:

    request id=… method=POST route=/v1/chat/completions status=200 seconds=0.412 \
plugins=cooking mode=specialist

Handlers add what they know about an answer with `note(plugins=…, mode=…)`. An exception that
no handler turned into a response is logged with its traceback and answered with a 500 in
OpenAI's error shape (when nothing has been sent yet).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.errors import error_json

log = logging.getLogger("frontdesk.requests")
REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")

_current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "frontdesk_request", default=None
)


def note(**fields: Any) -> None:
    """Attach fields (plugins, mode…) to the current request's log line."""
    info = _current.get()
    if info is not None:
        info.update({k: v for k, v in fields.items() if v is not None})


def request_id() -> str | None:
    """The id of the request being handled (for log lines written while handling it)."""
    info = _current.get()
    return info["id"] if info else None


def configure(level: str) -> None:
    """Set up logging once for `frontdesk serve` (level name, e.g. INFO or DEBUG)."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )


def error_body(message: str) -> bytes:
    return error_json(message, "server_error", "internal_error")


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        info: dict[str, Any] = {"id": rid, "status": None}
        token = _current.set(info)
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                info["status"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception(
                "unhandled error id=%s method=%s route=%s", rid, scope["method"], scope["path"]
            )
            if info["status"] is None:
                body = error_body(f"internal error; quote request id {rid} when reporting it")
                await send_with_id(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
        finally:
            _current.reset(token)
            extra = "".join(
                f" {key}={','.join(value) if isinstance(value, list) else value}"
                for key, value in info.items()
                if key not in ("id", "status")
            )
            log.info(
                "request id=%s method=%s route=%s status=%s seconds=%.3f%s",
                rid,
                scope["method"],
                scope["path"],
                info["status"],
                time.perf_counter() - started,
                extra,
            )
