"""The OpenAI-compatible bot API: `/v1/chat/completions`, `/v1/models`, `/healthz`, `/readyz`.

Model `frontdesk` routes automatically; `frontdesk/<plugin>` forces one specialist. A client
that sends the whole conversation works statelessly; one that sends a thread id — header
`X-Frontdesk-Thread`, or `metadata.thread_id` in the body — gets the server's memory of it.
`metadata.document` (with `frontdesk/<plugin>`) asks about one document of that plugin.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from frontdesk.admission import Busy, Ticket
from frontdesk.auth import caller_of
from frontdesk.engine import Engine, Event
from frontdesk.errors import FrontdeskError, InputError, NotFoundError
from frontdesk.openai_params import (
    ParamError,
    check_content,
    check_parameters,
    check_roles,
    generation,
    metadata_text,
)
from frontdesk.request_log import note, request_id

log = logging.getLogger("frontdesk.api")

BASE_MODEL = "frontdesk"
THREAD_HEADER = "x-frontdesk-thread"
# Sent when the graph escalates: the specialist declined, or its answer was not supported.
ESCALATION_NOTE = (
    "\n\n[The specialist could not answer this from its sources; "
    "the coordinator answers instead.]\n\n"
)
# A stream cannot take back what it sent: when the checked answer differs from the streamed
# text, it follows whole after this line (and is `frontdesk.answer` on the final chunk).
CORRECTION_NOTE = "\n\n[The checked answer replaces the text above:]\n\n"


class APIError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        kind: str,
        code: str,
        headers: dict[str, str] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code
        self.headers = headers or {}
        self.param = param

    def response(self) -> JSONResponse:
        body = {
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def _from_engine_error(exc: FrontdeskError) -> APIError:
    status = exc.http_status
    if isinstance(exc, Busy):
        kind, code = (
            ("rate_limit_error", "saturated")
            if status == 429
            else ("server_error", "queue_timeout")
        )
        return APIError(status, str(exc), kind, code, {"Retry-After": str(exc.retry_after)})
    if status >= 500:  # every 5xx leaves its traceback (and cause) in the log
        log.error("request id=%s failed with %s: %s", request_id(), status, exc, exc_info=exc)
    kinds = {
        400: "invalid_request_error",
        404: "invalid_request_error",
        413: "invalid_request_error",
    }
    codes = {
        400: "invalid_request",
        404: "not_found",
        413: "too_large",
        502: "backend_unavailable",
        503: "unavailable",
        504: "backend_timeout",
    }
    return APIError(status, str(exc), kinds.get(status, "server_error"), codes.get(status, "error"))


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, top_p...: accepted, not used
    model: str
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    user: str | None = None
    metadata: dict[str, Any] | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], raw: bytes) -> M:
    """A JSON body as `model`, or a 400 naming what is wrong and where."""
    try:
        return model.model_validate(json.loads(raw or b"null"))
    except json.JSONDecodeError as exc:
        raise APIError(
            400, f"body is not valid JSON: {exc}", "invalid_request_error", "invalid_json"
        ) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise APIError(
            400,
            f"{where}: {first['msg']}",
            "invalid_request_error",
            "invalid_request",
            param=where,
        ) from exc


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def _usage(answer: dict[str, Any]) -> dict[str, int]:
    prompt = sum(u["input_tokens"] for u in answer["usage"])
    completion = sum(u["output_tokens"] for u in answer["usage"])
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _extension(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "answer": answer["answer"],
        "route": answer["route"],
        # Server paths stay on the server; `source` names the file (GET /source/<plugin>/<file>).
        "citations": [{k: v for k, v in c.items() if k != "path"} for c in answer["citations"]],
        "usage_by_model": answer["usage"],
        "reached_coordinator": answer["reached_coordinator"],
        "thread_id": answer["thread_id"],
    }


def build_api(engine: Engine) -> APIRouter:
    settings = engine.settings
    admission = engine.admission
    router = APIRouter()

    def resolve_model(name: str) -> str | None:
        if name == BASE_MODEL:
            return None
        prefix = BASE_MODEL + "/"
        if name.startswith(prefix) and name[len(prefix) :] in engine.plugins:
            return name[len(prefix) :]
        raise APIError(
            404,
            f"The model '{name}' does not exist; GET /v1/models lists them",
            "invalid_request_error",
            "model_not_found",
        )

    async def parse(request: Request) -> ChatRequest:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
            raise APIError(
                413,
                f"request body over {settings.max_body_bytes} bytes",
                "invalid_request_error",
                "too_large",
            )
        raw = await request.body()
        if len(raw) > settings.max_body_bytes:
            raise APIError(
                413,
                f"request body over {settings.max_body_bytes} bytes",
                "invalid_request_error",
                "too_large",
            )
        return parse_body(ChatRequest, raw)

    @router.get("/v1/models")
    async def models(request: Request) -> dict[str, Any]:
        created = int(engine.started)
        ids = [BASE_MODEL] + [f"{BASE_MODEL}/{name}" for name in sorted(engine.plugins)]
        return {
            "object": "list",
            "data": [
                {"id": i, "object": "model", "created": created, "owned_by": "frontdesk"}
                for i in ids
            ],
        }

    @router.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await parse(request)
        plugin = resolve_model(body.model)
        try:
            check_parameters(body.model_extra or {})
            check_roles([m.role for m in body.messages])
            check_content([m.content for m in body.messages])
            meta_thread = metadata_text(body.metadata, "thread_id")
            document = metadata_text(body.metadata, "document")
            options = generation(
                body.max_tokens,
                body.max_completion_tokens,
                body.stop,
                [m.text() for m in body.messages if m.role in ("system", "developer")],
            )
        except ParamError as exc:
            raise APIError(
                400, exc.message, "invalid_request_error", exc.code, param=exc.param
            ) from exc
        users = [m for m in body.messages if m.role == "user"]
        if not users or body.messages[-1].role != "user":
            raise APIError(
                400,
                "messages must end with a user message",
                "invalid_request_error",
                "invalid_request",
            )
        try:  # checked here, so a streamed request is refused with a status, not mid-stream
            question = engine.check_question(body.messages[-1].text())
        except FrontdeskError as exc:
            raise _from_engine_error(exc) from exc
        thread = request.headers.get(THREAD_HEADER) or meta_thread
        owner = caller_of(request).owner
        try:  # here, so a streamed request for another's thread is a 404, not an SSE error
            if thread:
                engine.check_thread(str(thread), owner)
            if document is not None:  # "ask about this file": model frontdesk/<plugin>
                engine.store.refresh()
                engine.check_document(plugin, str(document))
        except FrontdeskError as exc:
            raise _from_engine_error(exc) from None
        history = [
            (m.role, m.text()) for m in body.messages[:-1] if m.role in ("user", "assistant")
        ]
        cancel = threading.Event()
        cid = _completion_id()  # also the answer's id (POST /v1/feedback names it)

        def events() -> Iterator[Event]:
            return engine.stream(
                question,
                thread,
                plugin,
                history=history,
                cancel=cancel,
                generation=options,
                owner=owner,
                document=None if document is None else str(document),
                answer_id=cid,
            )

        try:  # counted in (or refused) before anything else is awaited
            ticket = await admission.acquire()
        except Busy as exc:
            raise _from_engine_error(exc) from exc
        if not body.stream:
            try:
                answer = await _final_unless_gone(request, events, cancel)
            except FrontdeskError as exc:
                raise _from_engine_error(exc) from exc
            finally:
                ticket.release()
            note(
                plugins=[p["name"] for p in answer["route"]["plugins"]],
                mode=answer["route"]["mode"],
            )
            return {
                "id": cid,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": answer.get("finish_reason", "stop"),
                        "message": {"role": "assistant", "content": answer["answer"]},
                    }
                ],
                "usage": _usage(answer),
                "frontdesk": _extension(answer),
            }
        include_usage = bool((body.stream_options or {}).get("include_usage"))
        job = _StreamJob(events, cancel, ticket)
        return StreamingResponse(
            _sse(job, body.model, include_usage, cid),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        body = await asyncio.to_thread(engine.readiness)
        if getattr(request.state, "caller", None) is None:  # details name hosts and paths
            body = {k: body[k] for k in ("status", "ready")}
        return JSONResponse(body, status_code=503 if body["status"] == "unavailable" else 200)

    @router.get("/v1/stats")
    async def stats(scope: str = "all") -> dict[str, Any]:
        """The Stats tab's figures: over the whole (shared) history, or scope=start: since this
        server started."""
        if scope not in ("all", "start"):
            raise APIError(
                400,
                f"scope must be 'all' or 'start', not '{scope}'",
                "invalid_request_error",
                "invalid_value",
                param="scope",
            )
        return await asyncio.to_thread(engine.stats, scope == "start")

    @router.get("/v1/threads")
    async def threads(request: Request) -> dict[str, Any]:
        """The caller's threads, most recently used first."""
        owner = caller_of(request).owner
        return {"object": "list", "data": engine.threads(100, owner=owner)}

    @router.get("/v1/threads/{thread_id}")
    async def thread(thread_id: str, request: Request) -> dict[str, Any]:
        """One of the caller's threads with its messages (404 for anyone else's)."""
        try:
            messages = engine.history(thread_id, caller_of(request).owner)
        except FrontdeskError as exc:
            raise _from_engine_error(exc) from None
        if not messages:
            raise APIError(404, f"no thread '{thread_id}'", "invalid_request_error", "not_found")
        return {
            "id": thread_id,
            "object": "thread",
            "messages": [
                {"role": "user" if m.type == "human" else "assistant", "content": str(m.content)}
                for m in messages
            ],
        }

    @router.delete("/v1/threads/{thread_id}")
    async def delete_thread(thread_id: str, request: Request) -> dict[str, Any]:
        """Forget one of the caller's threads (404 for anyone else's, or none)."""
        try:
            deleted = engine.delete_thread(thread_id, caller_of(request).owner)
        except FrontdeskError as exc:
            raise _from_engine_error(exc) from exc
        if not deleted:
            raise APIError(404, f"no thread '{thread_id}'", "invalid_request_error", "not_found")
        return {"id": thread_id, "object": "thread.deleted", "deleted": True}

    from frontdesk import feedback_api

    feedback_api.install(router, engine)  # before the catch-all below

    @router.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def unknown(request: Request, rest: str) -> None:
        """Anything else under /v1 answers in OpenAI's error shape (not the web chat's 404)."""
        path = request.url.path
        allowed = [
            m
            for r in router.routes
            if getattr(r, "path", None) == path
            for m in sorted(getattr(r, "methods", ()))
        ]
        if allowed:
            raise APIError(
                405,
                f"{request.method} is not allowed on {path}; use {', '.join(allowed)}",
                "invalid_request_error",
                "method_not_allowed",
                {"Allow": ", ".join(allowed)},
            )
        raise APIError(
            404,
            f"no route {request.method} {path}; the API serves /v1/models and /v1/chat/completions",
            "invalid_request_error",
            "unknown_url",
        )

    return router


async def _final_unless_gone(
    request: Request, events: Any, cancel: threading.Event
) -> dict[str, Any]:
    """The finished answer; if the client hangs up first, generation is cancelled (nothing is
    stored) and this raises Cancelled once the worker has stopped."""
    work = asyncio.ensure_future(asyncio.to_thread(_final, events))
    while not work.done():
        await asyncio.wait({work}, timeout=0.25)
        if not work.done() and await request.is_disconnected():
            cancel.set()
            break
    return await work


def _final(events: Any) -> dict[str, Any]:
    for event in events():
        if event.kind == "answer":
            return dict(event.data)
    raise InputError("no answer was produced")


class _StreamJob:
    """Runs the engine's stream in a worker thread, feeding an asyncio queue.

    The worker, not the response, gives the concurrency slot back: a client that hangs up
    sets `cancel`, generation stops at the next token, and only then is the slot free.
    """

    def __init__(self, events: Any, cancel: threading.Event, ticket: Ticket) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.cancel = cancel
        self.ticket = ticket
        self.rid = request_id()  # the worker thread runs outside the request's context
        self.events = events
        threading.Thread(target=self._pump, daemon=True).start()

    def _put(self, kind: str, item: Any) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (kind, item))

    def _pump(self) -> None:
        try:
            for event in self.events():
                self._put("event", event)
        except FrontdeskError as exc:
            self._put("error", exc)
        except Exception as exc:  # never leave the client hanging
            log.error("request id=%s stream failed: %s", self.rid, exc, exc_info=exc)
            self._put("error", FrontdeskError(str(exc)))
        finally:
            self._put("end", None)
            self.ticket.release()


async def _sse(job: _StreamJob, model: str, include_usage: bool, cid: str) -> AsyncIterator[bytes]:
    """Server-sent events in OpenAI's chunk format, ending with `data: [DONE]`."""
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        data = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

    try:
        yield chunk({"role": "assistant", "content": ""})
        while True:
            kind, item = await job.queue.get()
            if kind == "end":
                break
            if kind == "error":
                err = _from_engine_error(item)
                body = {"error": {"message": err.message, "type": err.kind, "code": err.code}}
                yield f"data: {json.dumps(body)}\n\n".encode()
                break
            event: Event = item
            if event.kind == "token" and event.data["answer"]:
                yield chunk({"content": event.data["text"]})
            elif event.kind == "escalate":
                yield chunk({"content": ESCALATION_NOTE})
            elif event.kind == "replace":
                yield chunk({"content": CORRECTION_NOTE + event.data["text"]})
            elif event.kind == "answer":
                route = event.data["route"]
                note(plugins=[p["name"] for p in route["plugins"]], mode=route["mode"])
                finish = event.data.get("finish_reason", "stop")
                yield chunk({}, finish, frontdesk=_extension(event.data))
                if include_usage:
                    data = {
                        "id": cid,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": [],
                        "usage": _usage(event.data),
                    }
                    yield f"data: {json.dumps(data)}\n\n".encode()
        yield b"data: [DONE]\n\n"
    finally:
        job.cancel.set()  # a client that went away stops the generation at its next token


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return _from_engine_error(exc).response()

    @app.exception_handler(FrontdeskError)
    async def _frontdesk_error(request: Request, exc: FrontdeskError) -> JSONResponse:
        return _from_engine_error(exc).response()
