"""Request bodies bounded while they arrive, not after they are buffered.

`BodyLimit` is an ASGI middleware. A declared `Content-Length` over the limit is refused before
anything is read; a chunked body (no length) is counted as it arrives, and the moment it passes
the limit the client gets a 413 and the application sees a disconnect, so nothing reads the rest.
Limits: `FRONTDESK_MAX_BODY_BYTES` under /v1, `FRONTDESK_UPLOAD_MAX_BYTES` for the web chat's
upload route, the default body limit for everything else.
"""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.errors import error_json
from frontdesk.settings import Settings

UPLOAD_ROUTE = "/gradio_api/upload"
# Multipart framing around the uploaded files themselves.
UPLOAD_OVERHEAD = 64 * 1024
DEFAULT_LIMIT: int = Settings.model_fields["max_body_bytes"].default
# After a 413, what is already on its way is read and dropped for a moment before the connection
# closes: closing on unread data makes the kernel send a reset that can destroy the 413 before
# the client reads it. Bounded, so a client that keeps sending is cut off.
DRAIN_SECONDS = 1.0
DRAIN_BYTES = 16 * 1024 * 1024


def limit_for(path: str, settings: Settings) -> tuple[int, str]:
    """(bytes allowed, the setting that says so) for a request path."""
    if path == "/v1" or path.startswith("/v1/"):
        return settings.max_body_bytes, "FRONTDESK_MAX_BODY_BYTES"
    if path.rstrip("/") == UPLOAD_ROUTE:
        return settings.upload_max_bytes + UPLOAD_OVERHEAD, "FRONTDESK_UPLOAD_MAX_BYTES"
    return DEFAULT_LIMIT, "the default body limit"


async def _refuse(send: Send, limit: int, setting: str) -> None:
    """Send the 413 and its body, leaving the response open (see `_close`)."""
    message = f"request body over {limit} bytes ({setting}); send less"
    body = error_json(message, "invalid_request_error", "too_large")
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": True})


async def _close(receive: Receive, send: Send) -> None:
    """Drop what the client still sends (bounded), then end the 413 (the server closes)."""
    deadline, dropped = time.monotonic() + DRAIN_SECONDS, 0
    while dropped < DRAIN_BYTES:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            message = await asyncio.wait_for(receive(), left)
        except TimeoutError:
            break
        if message["type"] != "http.request":
            break
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.body", "body": b""})


class BodyLimit:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = limit_for(scope["path"], self.settings)
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit, setting)
            await _close(receive, send)
            return
        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _refuse(send, limit, setting)
                    # The application sees a client that went away and stops reading.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the application answers is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # The application failed on the "disconnect" it was shown: the 413 already went out.
        if refused and not started:
            await _close(receive, send)
