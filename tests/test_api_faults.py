"""API error paths with injected faults: a real uvicorn server and the real `openai` client,
in front of an engine whose models are test doubles (a backend that is down, one that hangs)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import openai
import pytest

from frontdesk.engine import Engine
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .servers import ThreadServer


class _Slow(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        time.sleep(5)
        self.send_response(500)
        self.end_headers()


@pytest.fixture
def slow_backend() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _serve(settings: Settings) -> ThreadServer:
    eng = Engine(settings, embedder=HashEmbedder())
    eng.ingest()
    return ThreadServer(build_app(eng, with_ui=False))


def test_backend_down_is_502(make_settings: Callable[..., Settings]) -> None:
    with _serve(make_settings(default_model="fake:down")) as srv:
        client = openai.OpenAI(base_url=f"{srv.url}/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.APIStatusError) as info:
            client.chat.completions.create(
                model="frontdesk",
                messages=[{"role": "user", "content": "How long should I rest a steak?"}],
            )
        assert info.value.status_code == 502
        assert "fake:down" in info.value.message
        # The coordinator still answers: the service is degraded, not down.
        ready = httpx.get(f"{srv.url}/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"
        assert {c["name"]: c["ok"] for c in ready.json()["checks"]}["model fake:down"] is False


def test_backend_timeout_is_504(make_settings: Callable[..., Settings], slow_backend: str) -> None:
    settings = make_settings(default_model=f"openai:slow@{slow_backend}", model_timeout=1.0)
    with _serve(settings) as srv:
        resp = httpx.post(
            f"{srv.url}/v1/chat/completions",
            timeout=30,
            json={
                "model": "frontdesk",
                "messages": [{"role": "user", "content": "How long should I rest a steak?"}],
            },
        )
        assert resp.status_code == 504, resp.text
        assert resp.json()["error"]["code"] == "backend_timeout"


def test_stateless_history_is_used(make_settings: Callable[..., Settings]) -> None:
    from frontdesk.testing import FakeChatModel

    with _serve(make_settings()) as srv:
        client = openai.OpenAI(base_url=f"{srv.url}/v1", api_key="x", max_retries=0)
        client.chat.completions.create(
            model="frontdesk",
            messages=[
                {"role": "user", "content": "My name is Ada."},
                {"role": "assistant", "content": "Hello Ada."},
                {"role": "user", "content": "Who painted the Mona Lisa?"},
            ],
        )
        seen = " ".join(str(m.content) for m in FakeChatModel.calls[-1][1])
        assert "My name is Ada." in seen and "Hello Ada." in seen


def test_source_files_cannot_escape_the_knowledge_folder(
    make_settings: Callable[..., Settings],
) -> None:
    with _serve(make_settings()) as srv:
        ok = httpx.get(f"{srv.url}/source/kitchen/steak.md")
        assert ok.status_code == 200 and "Rest a thick steak" in ok.text
        for path in (
            "/source/kitchen/..%2F..%2Fplugin.toml",
            "/source/kitchen/../../../etc/passwd",
            "/source/kitchen/%2Fetc%2Fpasswd",
            "/source/nope/steak.md",
        ):
            assert httpx.get(f"{srv.url}{path}").status_code == 404, path
