"""What a browser does with planted content (issue 8, item 3), in headless Chromium against the
whole app in a real uvicorn: a `<script>` in an uploaded .html never runs on the app's origin, and
remote images in an answer are never fetched (no tracking pixels, no leaks of who read what)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from frontdesk.settings import Settings
from frontdesk.testing import FakeChatModel

from ..servers import CHROMIUM_ARGS
from .attack import fake_server

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EVIL_HTML = """<html><head><title>Kettle care</title></head><body>
<h1>Kettle care</h1><p>Descale a kettle with citric acid once a month.</p>
<script>document.title = 'PWNED'; window.pwned = true;
fetch('/v1/models').then(r => r.text()).then(t => { window.stolen = t; });</script>
<img src="x" onerror="window.pwned = true; document.title = 'PWNED'">
</body></html>"""


class _Beacon(BaseHTTPRequestHandler):
    hits: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()


@pytest.fixture
def beacon() -> Iterator[str]:
    _Beacon.hits = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Beacon)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def server(make_settings: Callable[..., Settings]) -> Iterator[Any]:
    with fake_server(make_settings, api_keys="", coordinator_model="fake:script") as srv:
        yield srv


@pytest.fixture
def page(server: Any) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.goto(server.url + "/")
        pg.wait_for_selector("#question textarea", timeout=60_000)
        yield pg
        browser.close()


def test_uploaded_html_script_does_not_run(page: Any, server: Any, tmp_path: Path) -> None:
    evil = tmp_path / "kettle-care.html"
    evil.write_text(EVIL_HTML)
    page.get_by_role("tab", name="Plugins").click()
    page.click("#ingest-plugin input")
    page.get_by_role("option", name="kitchen").click()
    page.set_input_files("#upload input[type=file]", str(evil))
    page.wait_for_selector("#plugin-status:has-text('Done: kitchen')", timeout=60_000)

    page.goto(f"{server.url}/source/kitchen/kettle-care.html")
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)  # give a script that did run the time to act
    assert page.title() != "PWNED"
    assert page.evaluate("() => window.pwned === undefined && window.stolen === undefined")
    body = page.inner_text("body")
    assert "<script>" in body  # shown as text, not run


def test_remote_images_in_answers_are_not_fetched(page: Any, beacon: str) -> None:
    FakeChatModel.enqueue(
        *[
            f"Here it is ![pixel]({beacon}/markdown.png) and "
            f"<img src='{beacon}/html.png'> as promised."
        ]
        * 4
    )
    page.fill("#question textarea", "Tell me about the moons of Jupiter")
    page.click("#send")
    page.wait_for_selector("#chatbot:has-text('as promised')", timeout=60_000)
    page.wait_for_timeout(1000)  # images load asynchronously
    assert _Beacon.hits == [], _Beacon.hits
