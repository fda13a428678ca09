"""The two critical findings of issue 8, as an attacker would try them: raw HTTP calls to the
Gradio API of the web chat, no browser, no gradio_client.

1. A chat history whose message is a `gradio.FileData` naming a server file made Gradio copy it
   into its cache and serve it from `/gradio_api/file=…`.
2. `do_upload` given a server-side path copied that file into a plugin's knowledge folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk.settings import Settings

from .attack import fake_server, file_data, gradio_call, served_urls


@pytest.fixture
def server(make_settings: Callable[..., Settings]) -> Iterator[Any]:
    with fake_server(make_settings) as srv:
        yield srv


def _secrets(server: Any, tmp_path: Path) -> list[Path]:
    planted = tmp_path / "outside" / "secret-notes.md"
    planted.parent.mkdir()
    planted.write_text("# Secret\n\nThe vault code is 4711.\n")
    server.engine.history("warm-up")  # the memory database exists once the graph is built
    return [Path("/etc/passwd"), server.engine.settings.home / "memory.sqlite", planted]


def test_no_endpoint_copies_server_files_into_the_cache(server: Any, tmp_path: Path) -> None:
    """Every event the web chat exposes, every parameter: a FileData, or a chat message holding
    one, naming a server file. Nothing may come back as a /gradio_api/file= URL of it."""
    endpoints = httpx.get(f"{server.url}/gradio_api/info").json()["named_endpoints"]
    assert "/respond" in endpoints and "/do_upload" in endpoints
    for secret in _secrets(server, tmp_path):
        assert secret.is_file(), secret
        message = [{"role": "user", "content": [{"type": "file", "file": file_data(secret)}]}]
        for name, spec in endpoints.items():
            arity = len(spec["parameters"])
            for position in range(arity):
                for payload in (file_data(secret), [file_data(secret)], message):
                    data: list[Any] = ["hello"] * arity
                    data[position] = payload
                    _, events = gradio_call(server.url, name.lstrip("/"), data)
                    leaked = [u for u in served_urls(events) if secret.name in u]
                    assert not leaked, (
                        f"{name}[{position}] copied {secret} into the cache: {leaked}"
                    )
        # And asking for the file by path is refused.
        direct = httpx.get(f"{server.url}/gradio_api/file={secret}")
        assert direct.status_code in (403, 404), direct.status_code
        assert "root:" not in direct.text and "4711" not in direct.text


def test_upload_cannot_copy_server_files_into_a_plugin(server: Any, tmp_path: Path) -> None:
    planted = _secrets(server, tmp_path)[-1]
    status, events = gradio_call(server.url, "do_upload", ["kitchen", [file_data(planted)]])
    knowledge = server.engine.plugins["kitchen"].knowledge_dirs()[0]
    assert not (knowledge / planted.name).exists(), "a server file was planted in the plugin"
    assert httpx.get(f"{server.url}/source/kitchen/{planted.name}").status_code == 404
    # A file the server can read but nobody uploaded never reaches ingest either.
    server.engine.ingest(["kitchen"])
    assert planted.name not in {
        h.source_name for h in server.engine.search("vault code", "kitchen")
    }


def test_upload_names_cannot_climb_out_of_the_cache_or_the_plugin(
    server: Any, tmp_path: Path
) -> None:
    """Tried as an attacker on a real serve (session 7): a multipart file name with ../ or an
    absolute path, and a FileData whose orig_name climbs, given to do_upload. Both stay put."""
    outside = tmp_path / "escape"
    outside.mkdir()
    knowledge = server.engine.plugins["kitchen"].knowledge_dirs()[0]
    for name in (f"../../../../..{outside}/a.md", f"{outside}/b.md", "..%2f..%2fc.md"):
        r = httpx.post(
            f"{server.url}/gradio_api/upload",
            files=[("files", (name, b"# Planted\n\nThe code is 4711.\n", "text/markdown"))],
        )
        assert r.status_code == 200, r.text
        cached = Path(r.json()[0])
        assert "/gradio/" in str(cached) and ".." not in cached.parts, cached
        data = {**file_data(cached), "orig_name": f"../../../..{outside}/d.md"}
        gradio_call(server.url, "do_upload", ["kitchen", [data], False])
    assert list(outside.iterdir()) == []
    saved = {p.name for p in knowledge.iterdir()}
    assert not any(".." in n or "/" in n for n in saved), saved
    # The uploads themselves went through, inside the plugin's folder (the test is not vacuous).
    assert any("4711" in (knowledge / n).read_text(errors="replace") for n in saved), saved
