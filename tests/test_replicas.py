"""Two `frontdesk serve` replicas on one PostgreSQL and one Chroma server (issue 11, item 5).

Everything here is real and started by the test: PostgreSQL (tests/pg.py), a Chroma server
(`chroma run`), an Ollama-protocol model host answering with canned facts, and two server
processes with homes of their own, so nothing is shared through a local disk. The replicas
share only the plugin folders, as replicas built from one image do.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import MINI_PLUGINS, write_plugin
from .ollama_server import MODEL_NAME, OllamaProcess
from .pg import PgServer, postgres  # noqa: F401  (the module-scoped fixture)
from .servers import ChromaProcess, ServeProcess


class Cluster:
    def __init__(self, root: Path, pg: PgServer, chroma: ChromaProcess, host: OllamaProcess):
        self.root, self.pg = root, pg
        self.plugins = root / "plugins"  # the plugin folders every replica has
        self.spec = f"ollama:{MODEL_NAME}@{host.url}"
        self.env = {
            "FRONTDESK_PLUGINS_PATH": str(self.plugins),
            "FRONTDESK_BUNDLED_PLUGINS": "false",
            "FRONTDESK_ENTRY_POINT_PLUGINS": "false",
            "FRONTDESK_MEMORY_URL": pg.url,
            "FRONTDESK_CHROMA_URL": chroma.url,
            "FRONTDESK_TEST_EMBEDDER": "hash",
            "FRONTDESK_COORDINATOR_MODEL": self.spec,
            "FRONTDESK_DEFAULT_MODEL": self.spec,
            "FRONTDESK_ROUTER_LLM": "false",
            "FRONTDESK_SYNC_SECONDS": "0.5",
        }
        self.replicas: list[ServeProcess] = []

    def settings(self, home: str) -> Settings:
        """A third member (like a `frontdesk ingest` job) with the replicas' settings."""
        env = {k.removeprefix("FRONTDESK_").lower(): v for k, v in self.env.items()}
        env.pop("test_embedder")
        return Settings(home=self.root / home, **env)  # type: ignore[arg-type]

    def replica(self, n: int) -> ServeProcess:
        home = self.root / f"replica-{n}"
        home.mkdir(exist_ok=True)
        env = {**self.env, "FRONTDESK_HOME": str(home)}
        return ServeProcess(env, self.root / f"replica-{n}.log").__enter__()


@pytest.fixture(scope="module")
def cluster(
    postgres: PgServer,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("replicas")
    with (
        ChromaProcess(root / "chroma-data", root / "chroma.log") as chroma,
        OllamaProcess(delay=0.15) as host,
    ):
        c = Cluster(root, postgres, chroma, host)
        for name, (desc, examples, docs) in MINI_PLUGINS.items():
            write_plugin(c.plugins, name, desc, examples, docs)
        job = Engine(c.settings("ingest-job"), embedder=HashEmbedder())
        job.ingest()
        job.close()
        started: list[ServeProcess] = []
        threads = [
            threading.Thread(target=lambda n=n: started.append(c.replica(n))) for n in (1, 2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(started) == 2, "a replica did not start (see replica-*.log)"
        c.replicas = sorted(started, key=lambda r: str(r.log))
        try:
            yield c
        finally:
            for r in c.replicas:
                r.__exit__()


def ask(url: str, question: str, thread: str | None = None, **body: Any) -> httpx.Response:
    headers = {"X-Frontdesk-Thread": thread} if thread else {}
    payload = {"model": "frontdesk", "messages": [{"role": "user", "content": question}], **body}
    return httpx.post(f"{url}/v1/chat/completions", json=payload, headers=headers, timeout=120)


def until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll `check` until it returns something true (replicas converge within a few polls)."""
    deadline = time.time() + timeout
    while True:
        try:
            if result := check():
                return result
        except httpx.HTTPError:
            pass
        if time.time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.3)


def test_a_thread_continues_on_the_other_replica(cluster: Cluster) -> None:
    a, b = cluster.replicas
    first = ask(a.url, "How long should I rest a steak?", "moving-thread")
    assert first.status_code == 200, first.text
    second = ask(b.url, "Can I freeze cooked rice?", "moving-thread")
    assert second.status_code == 200, second.text
    for replica in (a, b):
        listed = httpx.get(f"{replica.url}/v1/threads").json()["data"]
        titles = {t["thread_id"]: t["title"] for t in listed}
        assert titles["moving-thread"] == "How long should I rest a steak?"
        messages = httpx.get(f"{replica.url}/v1/threads/moving-thread").json()["messages"]
        assert [m["content"] for m in messages[::2]] == [
            "How long should I rest a steak?",
            "Can I freeze cooked rice?",
        ]
        assert "eight minutes" in messages[1]["content"]


def test_stats_agree(cluster: Cluster) -> None:
    a, b = cluster.replicas
    assert ask(a.url, "When should I prune my roses?").status_code == 200
    assert ask(b.url, "How often should I water tomatoes?").status_code == 200
    stats = [httpx.get(f"{r.url}/v1/stats").json() for r in (a, b)]
    assert stats[0] == stats[1]
    assert stats[0]["answers"] >= 2 and stats[0]["modes"]["specialist"] >= 2


def test_source_is_served_from_the_store(cluster: Cluster) -> None:
    a, b = cluster.replicas
    steak = cluster.plugins / "kitchen" / "knowledge" / "steak.md"
    aside = cluster.root / "steak.md"
    shutil.move(steak, aside)  # no replica has the file now
    try:
        for replica in (a, b):
            r = httpx.get(f"{replica.url}/source/kitchen/steak.md")
            assert r.status_code == 200, r.text
            assert "Rest a thick steak for eight minutes" in r.text
            assert r.headers["content-type"].startswith("text/plain")
            assert r.headers["content-security-policy"] == "default-src 'none'; sandbox"
            assert httpx.get(f"{replica.url}/source/kitchen/nothing.md").status_code == 404
    finally:
        shutil.move(aside, steak)


def test_an_ingest_and_a_new_plugin_reach_both_replicas(cluster: Cluster) -> None:
    a, b = cluster.replicas
    write_plugin(
        cluster.plugins,
        "teapots",
        "Teapots: warming the pot, brewing times, descaling kettles.",
        ["How long should green tea brew?"],
        {"brewing.md": "# Brewing\n\nBrew green tea for two minutes at eighty degrees."},
    )
    # One ingest job (a third process, as `frontdesk ingest` run anywhere would be).
    job = Engine(cluster.settings("ingest-job"), embedder=HashEmbedder())
    assert job.ingest(["teapots"])[0].chunks_added > 0
    for replica in (a, b):
        until(
            lambda r=replica: (
                "frontdesk/teapots"
                in {m["id"] for m in httpx.get(f"{r.url}/v1/models").json()["data"]}
            ),
            f"{replica.url} lists the new plugin",
        )
    answer = ask(b.url, "How long should green tea brew?", model="frontdesk/teapots")
    assert answer.status_code == 200, answer.text
    assert "two minutes" in answer.json()["choices"][0]["message"]["content"]

    # A changed document, re-ingested: both replicas answer from the new version.
    (cluster.plugins / "teapots" / "knowledge" / "brewing.md").write_text(
        "# Brewing\n\nBrew green tea for three minutes at seventy degrees."
    )
    assert job.ingest(["teapots"])[0].updated
    job.close()
    for replica in (a, b):
        got = ask(replica.url, "How long should green tea brew?", model="frontdesk/teapots")
        assert "three minutes" in got.json()["choices"][0]["message"]["content"], got.text


def test_postgres_restart_both_replicas_recover(cluster: Cluster) -> None:
    cluster.pg.restart()
    for n, replica in enumerate(cluster.replicas):
        r = ask(replica.url, "How long should I rest a steak?", f"after-restart-{n}")
        assert r.status_code == 200, r.text
        assert httpx.get(f"{replica.url}/v1/stats").status_code == 200
    a, b = cluster.replicas
    listed = {t["thread_id"] for t in httpx.get(f"{b.url}/v1/threads").json()["data"]}
    assert {"after-restart-0", "after-restart-1"} <= listed
    # The change signal is read again after the restart too.
    (cluster.plugins / "teapots" / "knowledge" / "kettles.md").write_text(
        "# Kettles\n\nDescale a kettle with citric acid once a month."
    )
    job = Engine(cluster.settings("ingest-job"), embedder=HashEmbedder())
    job.ingest(["teapots"])
    job.close()
    for replica in (a, b):
        until(
            lambda r=replica: (
                "citric acid"
                in ask(r.url, "How do I descale a kettle?", model="frontdesk/teapots").text
            ),
            f"{replica.url} answers from the document ingested after the restart",
        )


def test_one_replica_killed_mid_answer_the_other_keeps_serving(cluster: Cluster) -> None:
    a, b = cluster.replicas
    assert ask(a.url, "How long should I rest a steak?", "survivor").status_code == 200
    body = {
        "model": "frontdesk",
        "stream": True,
        "messages": [{"role": "user", "content": "When should I prune my roses?"}],
    }
    cut = False
    with httpx.stream(
        "POST", f"{a.url}/v1/chat/completions", json=body, timeout=60
    ) as stream:  # the answer streams word by word
        for line in stream.iter_lines():
            if line.startswith("data: {") and json.loads(line[6:])["choices"][0]["delta"].get(
                "content"
            ):
                a.proc.kill()  # mid-answer
                a.proc.wait(10)
                cut = True
                break
    assert cut, "the answer never started streaming"
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{a.url}/healthz", timeout=2)
    r = ask(b.url, "Can I freeze cooked rice?", "survivor")  # a thread started on A
    assert r.status_code == 200, r.text
    messages = httpx.get(f"{b.url}/v1/threads/survivor").json()["messages"]
    assert [m["content"] for m in messages[::2]] == [
        "How long should I rest a steak?",
        "Can I freeze cooked rice?",
    ]
    assert ask(b.url, "When should I prune my roses?").status_code == 200
