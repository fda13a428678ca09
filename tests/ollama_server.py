"""A local HTTP server that speaks Ollama's protocol (`/api/tags`, `/api/chat`).

No Ollama daemon can be installed on the machines these tests run on, so the Ollama backend is
tested against this stand-in. It generates for real, with the bundled SmolLM2 through
llama.cpp, and streams NDJSON the way Ollama does.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from frontdesk.models import _SharedLlama, bundled_gguf

MODEL_NAME = "smollm2:135m"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeOllama/0.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        if self.path == "/api/tags":
            self._json(
                200,
                {
                    "models": [
                        {
                            "name": MODEL_NAME,
                            "model": MODEL_NAME,
                            "modified_at": _now(),
                            "size": 1,
                            "digest": "0" * 64,
                            "details": {"family": "llama", "format": "gguf"},
                        }
                    ]
                },
            )
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path != "/api/chat":
            self._json(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append(req)  # type: ignore[attr-defined]
        if req.get("model") != MODEL_NAME:
            self._json(404, {"error": f"model '{req.get('model')}' not found"})
            return
        options = req.get("options") or {}
        messages = [{"role": m["role"], "content": m.get("content", "")} for m in req["messages"]]
        shared = _SharedLlama.get(str(bundled_gguf("smollm2")), 2048)
        started = time.perf_counter()
        with shared.lock:
            result = shared.llm.create_chat_completion(
                messages,
                max_tokens=int(options.get("num_predict") or 128),
                temperature=float(options.get("temperature", 0.2)),
                repeat_penalty=1.15,
            )
        text = result["choices"][0]["message"]["content"] or ""  # type: ignore[index]
        usage = result["usage"]  # type: ignore[index]
        final = {
            "model": MODEL_NAME,
            "created_at": _now(),
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "total_duration": int((time.perf_counter() - started) * 1e9),
            "load_duration": 0,
            "prompt_eval_count": usage["prompt_tokens"],
            "prompt_eval_duration": 1,
            "eval_count": usage["completion_tokens"],
            "eval_duration": 1,
        }
        if req.get("stream", True) is False:
            final["message"]["content"] = text
            self._json(200, final)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        for word in text.split(" "):
            line = {
                "model": MODEL_NAME,
                "created_at": _now(),
                "message": {"role": "assistant", "content": word + " "},
                "done": False,
            }
            self.wfile.write((json.dumps(line) + "\n").encode())
        self.wfile.write((json.dumps(final) + "\n").encode())


class FakeOllama:
    """Start with `with FakeOllama() as url:`; `requests` holds every /api/chat body."""

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.requests = []  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.httpd.requests  # type: ignore[attr-defined,no-any-return]

    def __enter__(self) -> FakeOllama:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
