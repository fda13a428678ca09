"""Request logs: one line per request with its id (echoed or made), route, status, seconds,
plugins and mode; every 5xx with its traceback and cause; uvicorn's access log off."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from frontdesk.engine import Engine
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .servers import ServeProcess, ThreadServer


def test_serve_logs_one_line_per_request_and_5xx_tracebacks(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # A memory database that is not one: a turn on a thread fails reading it, with a 5xx.
    (home / "memory.sqlite").write_bytes(b"this is not a database" * 100)
    env = {
        "FRONTDESK_HOME": str(home),
        "FRONTDESK_ENTRY_POINT_PLUGINS": "false",
        "FRONTDESK_LOG_LEVEL": "info",
    }
    log = tmp_path / "server.log"
    with ServeProcess(env, log) as srv:
        models = httpx.get(f"{srv.url}/v1/models", headers={"X-Request-ID": "client-id-42"})
        assert models.status_code == 200
        assert models.headers["x-request-id"] == "client-id-42"
        missing = httpx.get(f"{srv.url}/v1/nothing-here")
        made = missing.headers["x-request-id"]
        assert missing.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", made)
        bad_id = httpx.get(f"{srv.url}/healthz", headers={"X-Request-ID": "no spaces\tplease"})
        assert bad_id.headers["x-request-id"] != "no spaces\tplease"
        failed = httpx.post(
            f"{srv.url}/v1/chat/completions",
            headers={"X-Request-ID": "doomed-1", "X-Frontdesk-Thread": "doomed-thread"},
            json={"model": "frontdesk", "messages": [{"role": "user", "content": "hello"}]},
            timeout=60,
        )
        assert failed.status_code == 503, failed.text  # memory unavailable
        assert failed.headers["x-request-id"] == "doomed-1"
    text = log.read_text()
    lines = text.splitlines()
    ok = [line for line in lines if "request id=client-id-42 " in line]
    assert len(ok) == 1, lines
    assert re.search(r"method=GET route=/v1/models status=200 seconds=\d+\.\d{3}", ok[0])
    assert len([line for line in lines if f"request id={made} " in line]) == 1
    assert any("route=/v1/nothing-here status=404" in line for line in lines)
    doomed = [line for line in lines if "request id=doomed-1 " in line]
    assert any("route=/v1/chat/completions status=503" in line for line in doomed), doomed
    # The 5xx left its traceback, with the original cause kept.
    assert "request id=doomed-1 failed with 503" in text
    assert "Traceback (most recent call last)" in text
    assert "DatabaseError" in text
    assert "The above exception was the direct cause of the following exception" in text
    # uvicorn's access log stays off: ours replaces it.
    assert '"GET /v1/models HTTP/1.1" 200' not in text


def test_answer_line_names_plugins_and_mode(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    eng = Engine(make_settings(), embedder=HashEmbedder())
    eng.ingest()
    caplog.set_level(logging.INFO, logger="frontdesk.requests")
    with ThreadServer(build_app(eng, with_ui=False)) as srv:
        for stream in (False, True):
            resp = httpx.post(
                f"{srv.url}/v1/chat/completions",
                headers={"X-Request-ID": f"steak-{stream}"},
                json={
                    "model": "frontdesk",
                    "stream": stream,
                    "messages": [{"role": "user", "content": "How long should I rest a steak?"}],
                },
                timeout=60,
            )
            assert resp.status_code == 200
    for stream in (False, True):
        lines = [r.getMessage() for r in caplog.records if f"id=steak-{stream} " in r.getMessage()]
        assert len(lines) == 1, lines
        assert "status=200" in lines[0]
        assert lines[0].endswith("plugins=kitchen mode=specialist"), lines[0]


def test_unhandled_error_is_a_logged_500_in_openai_shape(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    app = build_app(Engine(make_settings(), embedder=HashEmbedder()), with_ui=False)

    @app.get("/fault")
    async def fault() -> None:  # a bug that no handler expects
        raise RuntimeError("injected fault")

    caplog.set_level(logging.INFO, logger="frontdesk.requests")
    with ThreadServer(app) as srv:
        resp = httpx.get(f"{srv.url}/fault", headers={"X-Request-ID": "boom-1"})
    assert resp.status_code == 500
    assert resp.headers["x-request-id"] == "boom-1"
    error = resp.json()["error"]
    assert error["type"] == "server_error" and "boom-1" in error["message"]
    assert "injected fault" not in error["message"]  # internals stay in the log
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1 and "id=boom-1" in failures[0].getMessage()
    assert failures[0].exc_info is not None
    assert "injected fault" in str(failures[0].exc_info[1])
    assert any(
        "id=boom-1 " in r.getMessage() and "status=500" in r.getMessage() for r in caplog.records
    )
