"""`/source` serves ingested documents only, as inert text (issue 8, item 3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from frontdesk.settings import Settings

from .attack import fake_server


@pytest.fixture
def server(make_settings: Callable[..., Settings]) -> Iterator[Any]:
    with fake_server(make_settings, api_keys="") as srv:
        yield srv


def test_only_ingested_documents_are_served(server: Any) -> None:
    folder = server.engine.plugins["kitchen"].knowledge_dirs()[0]
    (folder / ".env").write_text("SECRET=1")
    (folder / ".hidden.md").write_text("# hidden\n\nnot for you")
    (folder / "not-ingested.md").write_text("# Later\n\nNot ingested yet.")
    (folder / "notes.json").write_text("{}")
    ok = httpx.get(f"{server.url}/source/kitchen/steak.md")
    assert ok.status_code == 200 and "Rest a thick steak" in ok.text
    for name in (".env", ".hidden.md", "not-ingested.md", "notes.json", "../../plugin.toml"):
        r = httpx.get(f"{server.url}/source/kitchen/{name}")
        assert r.status_code == 404, (name, r.status_code)
        assert "SECRET" not in r.text and "not for you" not in r.text
    # Another plugin's document is not reachable through this one.
    assert httpx.get(f"{server.url}/source/kitchen/roses.md").status_code == 404
    assert httpx.get(f"{server.url}/source/garden/roses.md").status_code == 200
    # Once ingested, the new document is served.
    server.engine.ingest(["kitchen"])
    assert httpx.get(f"{server.url}/source/kitchen/not-ingested.md").status_code == 200


def test_documents_are_inert_text(server: Any) -> None:
    folder = server.engine.plugins["kitchen"].knowledge_dirs()[0]
    (folder / "page.html").write_text(
        "<h1>Pans</h1><p>Heat the pan first.</p><script>alert(1)</script>"
    )
    server.engine.ingest(["kitchen"])
    r = httpx.get(f"{server.url}/source/kitchen/page.html")
    assert r.status_code == 200 and "<script>" in r.text
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    assert "default-src 'none'" in r.headers["content-security-policy"]
