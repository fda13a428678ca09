"""What an attacker needs: the Gradio API called with raw HTTP, and servers to call it on.

`gradio_call` speaks Gradio's two-step HTTP API (`POST /gradio_api/call/<fn>` for an event id,
then `GET` its server-sent events) exactly as a script would, without gradio_client's checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from frontdesk.engine import Engine
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from ..servers import ThreadServer

KEY_A, KEY_B = "sk-alice-0123456789", "sk-bob-9876543210"  # two keys: two owners


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def file_data(path: str | Path) -> dict[str, Any]:
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}}


def gradio_call(
    url: str, fn: str, data: list[Any], headers: dict[str, str] | None = None
) -> tuple[int, list[tuple[str, Any]]]:
    """Call a Gradio event by its API name; returns the first status and the (event, data) list."""
    with httpx.Client(base_url=url, headers=headers or {}, timeout=60) as client:
        first = client.post(f"/gradio_api/call/{fn}", json={"data": data})
        if first.status_code != 200:
            return first.status_code, []
        event_id = first.json()["event_id"]
        events: list[tuple[str, Any]] = []
        kind = ""
        with client.stream("GET", f"/gradio_api/call/{fn}/{event_id}") as resp:
            for line in resp.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    raw = line[6:]
                    try:
                        events.append((kind, json.loads(raw)))
                    except json.JSONDecodeError:
                        events.append((kind, raw))
        return 200, events


def served_urls(events: list[tuple[str, Any]]) -> list[str]:
    """Every `/gradio_api/file=` URL the server handed back in its events."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "url" and isinstance(v, str) and "/gradio_api/file=" in v:
                    found.append(v)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for _, data in events:
        walk(data)
    return found


@contextmanager
def fake_server(make_settings: Callable[..., Settings], **overrides: Any) -> Iterator[Any]:
    """The whole app (API, /source, web chat) in uvicorn, on fake models, knowledge ingested."""
    engine = Engine(make_settings(**overrides), embedder=HashEmbedder())
    engine.ingest()
    with ThreadServer(build_app(engine)) as srv:
        srv.engine = engine  # type: ignore[attr-defined]
        yield srv
