"""Admission control shared by the API and the web chat, against a real uvicorn server running
the whole app (API and Gradio) around an engine whose coordinator is a slow fake model."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from frontdesk.admission import Admission, Busy
from frontdesk.engine import Engine
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import FakeChatModel, HashEmbedder

from .servers import ThreadServer

QUESTION = "Who painted the Mona Lisa?"  # off-topic: the (slow) coordinator answers


@pytest.fixture
def saturable(make_settings: Callable[..., Settings]) -> Iterator[tuple[ThreadServer, Engine]]:
    settings = make_settings(coordinator_model="fake:slow", max_concurrency=1, max_queue=3)
    eng = Engine(settings, embedder=HashEmbedder())
    eng.ingest()
    with ThreadServer(build_app(eng, with_ui=True)) as srv:
        yield srv, eng


def _wait_for(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while not check():
        assert time.time() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.05)


def _gradio_respond(url: str, question: str) -> str:
    """Call the web chat's `respond` through Gradio's raw HTTP API; return the answer text."""
    start = httpx.post(
        f"{url}/gradio_api/call/respond", json={"data": [question, [], None, "auto"]}, timeout=30
    )
    assert start.status_code == 200, start.text
    event_id = start.json()["event_id"]
    last = None
    with httpx.stream("GET", f"{url}/gradio_api/call/respond/{event_id}", timeout=60) as resp:
        for line in resp.iter_lines():
            if line.startswith("data:") and line[5:].strip() not in ("", "null"):
                data = json.loads(line[5:])
                if isinstance(data, list) and data and isinstance(data[0], list):
                    # [question, route fold-out, answer, sources...]: the answer is the
                    # assistant message without a fold-out title.
                    said = [
                        m["content"]
                        for m in data[0]
                        if m["role"] == "assistant" and not (m.get("metadata") or {}).get("title")
                    ]
                    last = said[-1] if said else last
    assert last is not None
    if isinstance(last, list):  # Gradio 6 sends message content as typed parts
        return "".join(part.get("text", "") for part in last)
    return str(last)


def test_burst_of_40_admits_at_most_4_and_the_web_chat_is_counted(
    saturable: tuple[ThreadServer, Engine],
) -> None:
    srv, eng = saturable
    FakeChatModel.slow_words, FakeChatModel.delay = 10, 0.3  # 3 s per answer
    barrier = threading.Barrier(40)
    results: list[tuple[int, str | None]] = []

    def ask(i: int) -> None:
        with httpx.Client(timeout=120) as client:
            barrier.wait()
            r = client.post(
                f"{srv.url}/v1/chat/completions",
                json={"model": "frontdesk", "messages": [{"role": "user", "content": QUESTION}]},
            )
            results.append((r.status_code, r.headers.get("retry-after")))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    # Everyone beyond one running and three waiting is refused at once.
    _wait_for(lambda: len(results) >= 36, "36 of the 40 requests refused at once")
    # The web chat, while the API holds every slot and queue place, is told to come back.
    answer = _gradio_respond(srv.url, QUESTION)
    assert answer.startswith("frontdesk is busy, retry in ") and answer.endswith(" s."), answer
    assert eng.admission.active == 1 and eng.admission.waiting == 3
    for t in threads:
        t.join(120)
    statuses = [s for s, _ in results]
    assert statuses.count(200) == 4 and statuses.count(429) == 36, statuses
    # Four answers (about 3 s each) stood in line: the advice is not the old fixed 2 s.
    assert all(ra is not None and int(ra) >= 4 for s, ra in results if s == 429), results
    # Once the queue has drained, the web chat is served again through the same gate.
    assert eng.admission.active == 0
    FakeChatModel.slow_words, FakeChatModel.delay = 3, 0.01
    assert _gradio_respond(srv.url, QUESTION) == "word0 word1 word2"


def test_retry_after_grows_with_the_queue_and_the_recent_answer_time() -> None:
    adm = Admission(concurrency=2, queue=4, timeout=5)
    first, second = adm.acquire_blocking(), adm.acquire_blocking()
    adm._durations.extend([10.0, 20.0])  # two answers of 10 and 20 s were timed
    assert adm.retry_after() == 8  # 15 s per answer, 1 in line, 2 slots: ceil(15 * 1 / 2)

    async def queue_up(n: int) -> list[asyncio.Task[object]]:
        tasks = [asyncio.ensure_future(adm.acquire()) for _ in range(n)]
        await asyncio.sleep(0.05)
        return tasks

    async def scenario() -> None:
        tasks = await queue_up(4)
        assert adm.waiting == 4
        assert adm.retry_after() == 38  # ceil(15 * 5 / 2)
        with pytest.raises(Busy) as info:
            await adm.acquire()
        assert info.value.retry_after == 38 and "4 waiting" in str(info.value)
        first.release()  # the slot goes to the first in line, first come first served
        await asyncio.sleep(0.05)
        assert tasks[0].done() and not tasks[1].done()
        for t in tasks[1:]:
            t.cancel()
        await asyncio.sleep(0.05)
        assert adm.waiting == 0  # cancelled waiters gave their places back
        (await tasks[0]).release()  # type: ignore[attr-defined]
        second.release()
        assert adm.active == 0

    asyncio.run(scenario())
