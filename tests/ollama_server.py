"""A local HTTP server that speaks Ollama's protocol (`/api/tags`, `/api/chat`).

No Ollama daemon can be installed on the machines these tests run on, so the Ollama backend is
tested against this stand-in. It generates for real, with the bundled SmolLM2 through
llama.cpp, and streams NDJSON the way Ollama does (HTTP/1.1, chunked, so a host that dies
mid-answer leaves an incomplete body, as a real one would).

Tool calling speaks Ollama's protocol too: `tools` in the /api/chat request, `message.tool_calls`
(each `{"function": {"name", "arguments": {...}}}`) in the reply, `role: "tool"` messages
carrying results back. `MODEL_NAME` (SmolLM2) refuses a request with tools the way Ollama
refuses a model without tool support (HTTP 400, "... does not support tools");
`TOOL_MODEL` answers with the replies a test queued with `FakeOllama.enqueue` (a dict with
`tool_calls` calls tools, a string is the answer) and otherwise like `--canned`.

Fault tests that kill the host run it as its own process (`OllamaProcess`, or
`python -m tests.ollama_server --port N --canned --delay 0.3`). `--canned` answers at once
with the first fact it was given (like `fake:facts`) instead of generating, and `--delay`
spaces the streamed words, so a test can kill the host between two of them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from frontdesk.models import _SharedLlama, bundled_gguf

MODEL_NAME = "smollm2:135m"
TOOL_MODEL = "qwen3:0.6b"  # scripted: stands in for a model that calls tools


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())


def _canned(messages: list[dict[str, Any]]) -> str:
    last = str(messages[-1].get("content", "")) if messages else ""
    facts = [line[2:] for line in last.splitlines() if line.startswith("- ")]
    return facts[0] if facts else "I do not know."


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeOllama/0.1"
    protocol_version = "HTTP/1.1"  # chunked streaming, like Ollama
    # Each streamed line is sent at once, as Ollama's Go server does (TCP_NODELAY): with
    # Nagle's algorithm a line waited for the client's delayed ACK, about 40 ms.
    disable_nagle_algorithm = True

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
                            "name": name,
                            "model": name,
                            "modified_at": _now(),
                            "size": 1,
                            "digest": "0" * 64,
                            "details": {"family": "llama", "format": "gguf"},
                        }
                        for name in (MODEL_NAME, TOOL_MODEL)
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
        headers = {k.lower(): v for k, v in self.headers.items()}  # e.g. a plugin's API key
        self.server.requests.append({**req, "headers": headers})  # type: ignore[attr-defined]
        model = req.get("model")
        if model not in (MODEL_NAME, TOOL_MODEL):
            self._json(404, {"error": f"model '{model}' not found"})
            return
        if req.get("tools") and model == MODEL_NAME:
            self._json(400, {"error": f"registry.ollama.ai/library/{model} does not support tools"})
            return
        options = req.get("options") or {}
        messages = [{"role": m["role"], "content": m.get("content", "")} for m in req["messages"]]
        started = time.perf_counter()
        calls: list[dict[str, Any]] = []
        script: list[Any] = getattr(self.server, "script", [])
        if model == TOOL_MODEL:
            reply = script.pop(0) if script else _canned(messages)
            if isinstance(reply, dict):
                calls = [
                    {"function": {"name": c["name"], "arguments": c["args"]}}
                    for c in reply.get("tool_calls", [])
                ]
                reply = reply.get("content", "")
            text = str(reply)
            words = sum(len(str(m["content"]).split()) for m in messages)
            usage = {"prompt_tokens": words, "completion_tokens": len(text.split())}
        elif getattr(self.server, "canned", False):
            text = _canned(messages)
            words = sum(len(str(m["content"]).split()) for m in messages)
            usage = {"prompt_tokens": words, "completion_tokens": len(text.split())}
        else:
            shared = _SharedLlama.get(str(bundled_gguf("smollm2")), 2048)
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
            "model": model,
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
            if calls:
                final["message"]["tool_calls"] = calls
            self._json(200, final)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        delay = float(getattr(self.server, "delay", 0.0))
        if calls:  # Ollama streams the calls in one message of their own
            line = {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": "", "tool_calls": calls},
                "done": False,
            }
            self._chunk(json.dumps(line) + "\n")
        for word in text.split(" ") if text else []:
            line = {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": word + " "},
                "done": False,
            }
            self._chunk(json.dumps(line) + "\n")
            time.sleep(delay)
        self._chunk(json.dumps(final) + "\n")
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, text: str) -> None:
        raw = text.encode()
        self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
        self.wfile.flush()


class FakeOllama:
    """Start with `with FakeOllama() as url:`; `requests` holds every /api/chat body (and its
    HTTP headers, lower-cased, under "headers")."""

    def __init__(self, canned: bool = False) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.requests = []  # type: ignore[attr-defined]
        self.httpd.script = []  # type: ignore[attr-defined]
        self.httpd.canned = canned  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def enqueue(self, *replies: str | dict[str, Any]) -> None:
        """Replies of TOOL_MODEL, in order: `{"tool_calls": [{"name", "args"}]}` or text."""
        self.httpd.script.extend(replies)  # type: ignore[attr-defined]

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


class OllamaProcess:
    """The same server in its own process, so a test can really kill it (`kill()`: SIGKILL)."""

    def __init__(self, canned: bool = True, delay: float = 0.0) -> None:
        from .servers import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = ["--port", str(self.port), "--delay", str(delay)] + (
            ["--canned"] if canned else []
        )

    def __enter__(self) -> OllamaProcess:
        import httpx

        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ollama_server", *self.args], cwd=root
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Ollama-protocol server exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/api/tags", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise TimeoutError(f"{self.url} did not come up")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def __exit__(self, *exc: object) -> None:
        self.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--canned", action="store_true", help="answer with the first fact")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between words")
    args = parser.parse_args()
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), _Handler)
    httpd.requests = []  # type: ignore[attr-defined]
    httpd.canned = args.canned  # type: ignore[attr-defined]
    httpd.delay = args.delay  # type: ignore[attr-defined]
    httpd.serve_forever()


if __name__ == "__main__":
    main()
