"""`POST /v1/feedback`: a thumbs up or down on an answer, keyed by its completion id.

Body: `{"completion_id": "chatcmpl-…", "rating": "up"|"down", "reason"?: str, "plugin"?: str}`
where `plugin` (down-votes only) names the specialist that should have answered, or "none".
204 when stored (rating again replaces it), 404 for an id this key was not given, 400 otherwise.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.auth import caller_of
from frontdesk.engine import Engine
from frontdesk.errors import InputError


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    completion_id: str = Field(min_length=1, max_length=100)
    rating: str
    reason: str | None = None
    plugin: str | None = None


def install(router: APIRouter, engine: Engine) -> None:
    from frontdesk.api import APIError, parse_body  # api.py installs this route: imported late

    @router.post("/v1/feedback", status_code=204)
    async def feedback(request: Request) -> Response:
        """Rate one of the caller's answers (the `id` of its chat completion)."""
        body = parse_body(FeedbackRequest, await request.body())
        try:
            await asyncio.to_thread(
                engine.record_feedback,
                body.completion_id,
                owner=caller_of(request).owner,
                rating=body.rating,
                reason=body.reason,
                plugin=body.plugin,
            )
        except KeyError:
            raise APIError(
                404,
                f"no answer '{body.completion_id}' (use the id of one of your chat completions)",
                "invalid_request_error",
                "not_found",
            ) from None
        except InputError as exc:
            raise APIError(400, str(exc), "invalid_request_error", "invalid_request") from exc
        return Response(status_code=204)
