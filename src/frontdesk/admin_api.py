"""Admin endpoints: `POST /v1/admin/reload` picks up added, changed and removed plugins.

Like every route, it sits behind auth.AccessMiddleware: with FRONTDESK_API_KEYS any valid key
may call it; without keys only a loopback client with a JSON body can. Body (optional):
`{"ingest": true}` also ingests added and changed plugins in the background (default true).
The answer is the reload report (reload.py): plugins, added, removed, changed, kept (still
serving their previous version because the new manifest is broken), errors, ingesting.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request

from frontdesk.engine import Engine
from frontdesk.errors import InputError
from frontdesk.reload import reload_and_announce


def build_admin_api(engine: Engine) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/admin/reload")
    async def reload(request: Request) -> dict[str, Any]:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise InputError(f"body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("ingest", True), bool):
            raise InputError('the body must be a JSON object like {"ingest": true}')
        return await asyncio.to_thread(
            reload_and_announce, engine, ingest=bool(body.get("ingest", True))
        )

    return router
