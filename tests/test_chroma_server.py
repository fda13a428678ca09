"""Knowledge stores on a Chroma server (client/server mode), started for real on localhost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from frontdesk.engine import Engine
from frontdesk.errors import BackendError
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .servers import ChromaProcess, free_port


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    with ChromaProcess(tmp_path / "chroma-data", tmp_path / "chroma.log") as server:
        yield server.url


def test_ingest_and_search_on_a_chroma_server(
    chroma_url: str, make_settings: Callable[..., Settings]
) -> None:
    eng = Engine(make_settings(chroma_url=chroma_url), embedder=HashEmbedder())
    assert eng.store.location == chroma_url
    reports = eng.ingest()
    assert all(r.chunks_added > 0 for r in reports)
    # A second engine (another replica) sees the same store and re-ingests nothing.
    other = Engine(
        make_settings(chroma_url=chroma_url, home=eng.settings.home.parent / "h2"),
        embedder=HashEmbedder(),
    )
    assert other.ingest(["kitchen"])[0].unchanged == 2
    assert other.search("rest steak", "kitchen", k=1)[0].source_name == "steak.md"
    assert other.ask("How long should I rest a steak?").route["mode"] == "specialist"
    assert {c["name"]: c["ok"] for c in other.readiness()["checks"]}["store"] is True


def test_unreachable_chroma_server_is_one_line(make_settings: Callable[..., Settings]) -> None:
    eng = Engine(
        make_settings(chroma_url=f"http://127.0.0.1:{free_port()}"), embedder=HashEmbedder()
    )
    with pytest.raises(BackendError) as info:
        eng.ingest()
    assert "cannot open the knowledge store at http://127.0.0.1:" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_chroma_server_going_down_is_said_not_crashed(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    with ChromaProcess(tmp_path / "chroma-data", tmp_path / "chroma.log") as server:
        eng = Engine(make_settings(chroma_url=server.url), embedder=HashEmbedder())
        eng.ingest()
        assert eng.ask("How long should I rest a steak?").route["mode"] == "specialist"
        server.proc.kill()
        server.proc.wait(10)
        answer = eng.ask("How long should I rest a steak?", plugin="kitchen")
        health = {h["name"]: h for h in eng.plugin_health()}
    assert "cannot be read right now" in answer.answer, answer.answer
    assert server.url in answer.answer
    assert health["kitchen"]["state"] == "broken" and server.url in health["kitchen"]["detail"]
