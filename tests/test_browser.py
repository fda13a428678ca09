"""The web chat in a real browser: headless Chromium (Debian's `chromium`) driven by Playwright
against a real `frontdesk serve` on localhost with the bundled models. Screenshots land in
test-artifacts/."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from frontdesk.engine import Engine
from frontdesk.settings import Settings

from .conftest import REPO, write_plugin
from .servers import CHROMIUM_ARGS, ServeProcess

pytestmark = [pytest.mark.integration, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
ANSWER_TIMEOUT = 180_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    home = tmp_path_factory.mktemp("web-home")
    extra = home / "extra-plugins"
    write_plugin(
        extra,
        "scratch",
        "A scratch plugin for upload tests: notes about teapots.",
        ["What is in the teapot notes?"],
        {"teapots.md": "# Teapots\n\nWarm the pot first."},
        model="llamacpp:smollm2",
    )
    (extra / "broken").mkdir()
    (extra / "broken" / "plugin.toml").write_text('name = "broken"\nmodel = "nosuch:model"\n')
    Engine(Settings(home=home, plugins_path=str(extra), entry_point_plugins=False)).ingest()
    env = {
        "FRONTDESK_HOME": str(home),
        "FRONTDESK_API_KEYS": "",
        "FRONTDESK_PLUGINS_PATH": str(extra),
    }
    with ServeProcess(env, home / "server.log") as srv:
        srv.extra = extra  # type: ignore[attr-defined]
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: object, server: ServeProcess) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.goto(server.url + "/")
    pg.wait_for_selector("#question textarea", timeout=60_000)
    yield pg
    context.close()


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def ask(page: object, question: str) -> None:
    page.fill("#question textarea", question)  # type: ignore[attr-defined]
    page.click("#send")  # type: ignore[attr-defined]


def wait_done(page: object, count: int) -> None:
    """Wait until `count` answers carry their route annotation."""
    page.wait_for_function(  # type: ignore[attr-defined]
        "n => [...document.querySelectorAll('#chatbot *')].filter("
        "e => e.childElementCount === 0 && /^Route: /.test(e.textContent.trim())).length >= n",
        arg=count,
        timeout=ANSWER_TIMEOUT,
    )


def test_chat_streams_an_answer_with_route_and_sources(page: object) -> None:
    ask(page, "How long should I rest a steak?")
    page.wait_for_selector("#route:has-text('cooking')", timeout=ANSWER_TIMEOUT)  # type: ignore[attr-defined]
    wait_done(page, 1)
    chat = page.inner_text("#chatbot")  # type: ignore[attr-defined]
    assert "How long should I rest a steak?" in chat
    assert "Route: " in chat and "cooking" in chat
    assert re.search(r"Sources \(\d\)", chat), chat
    page.click("text=/Sources \\(\\d\\)/")  # type: ignore[attr-defined]
    page.wait_for_selector(
        "#chatbot details summary:has-text('resting-and-cooking-meat.md')",  # type: ignore[attr-defined]
        timeout=10_000,
    )
    shot(page, "chat-answer")

    # Reload: the conversation comes back from the engine's memory.
    page.reload()  # type: ignore[attr-defined]
    page.wait_for_selector("#chatbot:has-text('How long should I rest a steak?')", timeout=60_000)  # type: ignore[attr-defined]
    wait_done(page, 1)
    shot(page, "chat-after-reload")

    # A new chat starts empty; the earlier one can be reopened.
    page.click("#new-chat")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]  (the welcome lists it as an example)
        "() => !document.querySelector('#chatbot').innerText.includes('Route: ')",
        timeout=20_000,
    )
    page.click("#threads input")  # type: ignore[attr-defined]
    page.get_by_role("option", name=re.compile("How long should I rest a steak")).first.click()  # type: ignore[attr-defined]
    page.wait_for_selector("#chatbot:has-text('How long should I rest a steak?')", timeout=20_000)  # type: ignore[attr-defined]
    wait_done(page, 1)  # the thread itself, not the welcome's example of the same question

    # Delete asks first; keeping the chat keeps it, confirming removes it for good.
    page.click("#delete-chat")  # type: ignore[attr-defined]
    page.click("#cancel-delete")  # type: ignore[attr-defined]
    page.wait_for_selector("#confirm-delete", state="hidden", timeout=10_000)  # type: ignore[attr-defined]
    assert "Route: " in page.inner_text("#chatbot")  # type: ignore[attr-defined]
    page.click("#delete-chat")  # type: ignore[attr-defined]
    page.click("#confirm-delete")  # type: ignore[attr-defined]
    page.wait_for_selector("#route:has-text('Chat deleted.')", timeout=20_000)  # type: ignore[attr-defined]
    assert "Route: " not in page.inner_text("#chatbot")  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]
    page.wait_for_selector("#question textarea", timeout=60_000)  # type: ignore[attr-defined]
    page.click("#threads input")  # type: ignore[attr-defined]
    options = page.get_by_role("option", name=re.compile("How long should I rest a steak"))  # type: ignore[attr-defined]
    assert options.count() == 0


def test_a_tool_call_shows_in_the_route_fold_out(page: object) -> None:
    """The bundled model cannot call tools: cooking's convert_units runs first (README)."""
    ask(page, "What is 180 C in Fahrenheit?")
    wait_done(page, 1)
    assert "356" in page.inner_text("#chatbot")  # type: ignore[attr-defined]
    page.click("#chatbot >> text=/^Route: /")  # type: ignore[attr-defined]
    page.wait_for_selector(  # type: ignore[attr-defined]
        "#chatbot :text('tool convert_units(value=180.0')", timeout=10_000
    )
    shot(page, "chat-tool-call")
    assert "→ 180 °C is 356 °F" in page.inner_text("#chatbot")  # type: ignore[attr-defined]


def test_forcing_a_specialist(page: object) -> None:
    page.click("#specialist input")  # type: ignore[attr-defined]
    page.get_by_role("option", name="gardening").click()  # type: ignore[attr-defined]
    ask(page, "How do I keep my kitchen knife sharp?")
    page.wait_for_selector("#route:has-text('chosen by the user')", timeout=ANSWER_TIMEOUT)  # type: ignore[attr-defined]
    wait_done(page, 1)
    assert "gardening" in page.inner_text("#route")  # type: ignore[attr-defined]
    shot(page, "chat-forced-plugin")


def test_empty_question_is_a_readable_message(page: object) -> None:
    page.click("#new-chat")  # type: ignore[attr-defined]
    page.click("#send")  # type: ignore[attr-defined]
    page.wait_for_selector("#chatbot:has-text('the question is empty')", timeout=30_000)  # type: ignore[attr-defined]
    assert "Traceback" not in page.inner_text("body")  # type: ignore[attr-defined]


def test_plugins_tab_lists_plugins_and_reingests(page: object) -> None:
    page.get_by_role("tab", name="Plugins").click()  # type: ignore[attr-defined]
    page.wait_for_selector("#plugins-table:has-text('cycling')", timeout=20_000)  # type: ignore[attr-defined]
    table = page.inner_text("#plugins-table")  # type: ignore[attr-defined]
    assert "cooking" in table and "gardening" in table and "llamacpp:smollm2" in table
    # A broken manifest stays visible, with its error.
    assert "(broken)" in table and "field 'description': missing" in table
    page.click("#reingest")  # type: ignore[attr-defined]
    page.wait_for_selector("#plugin-status:has-text('unchanged')", timeout=60_000)  # type: ignore[attr-defined]
    shot(page, "plugins-tab")


def test_upload_into_a_plugin(page: object, server: ServeProcess, tmp_path: Path) -> None:
    doc = tmp_path / "kettles.md"
    doc.write_text("# Kettles\n\nDescale a kettle with citric acid once a month.")
    page.get_by_role("tab", name="Plugins").click()  # type: ignore[attr-defined]
    page.click("#ingest-plugin input")  # type: ignore[attr-defined]
    page.get_by_role("option", name="scratch").click()  # type: ignore[attr-defined]
    page.set_input_files("#upload input[type=file]", str(doc))  # type: ignore[attr-defined]
    page.wait_for_selector("#plugin-status:has-text('Done: scratch')", timeout=120_000)  # type: ignore[attr-defined]
    status = page.inner_text("#plugin-status")  # type: ignore[attr-defined]
    assert "Added 1 file" in status and "1 new" in status
    assert (server.extra / "scratch" / "knowledge" / "kettles.md").is_file()  # type: ignore[attr-defined]
    # The same name with other content does not overwrite it unless asked to.
    doc.write_text("# Kettles\n\nA kettle lasts about ten years.")
    page.set_input_files("#upload input[type=file]", str(doc))  # type: ignore[attr-defined]
    page.wait_for_selector("#plugin-status:has-text('saved as kettles-2.md')", timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_selector("#plugin-status:has-text('Done: scratch')", timeout=120_000)  # type: ignore[attr-defined]
    knowledge = server.extra / "scratch" / "knowledge"  # type: ignore[attr-defined]
    assert "citric acid" in (knowledge / "kettles.md").read_text()
    assert "ten years" in (knowledge / "kettles-2.md").read_text()
    shot(page, "plugins-upload")


def test_stats_tab_shows_figures(page: object) -> None:
    ask(page, "What is the capital city of Australia?")
    wait_done(page, 1)
    page.get_by_role("tab", name="Stats").click()  # type: ignore[attr-defined]
    page.click("#stats-refresh")  # type: ignore[attr-defined]
    page.wait_for_selector(
        "#stats-summary:has-text('never reached the coordinator')", timeout=30_000
    )  # type: ignore[attr-defined]
    page.wait_for_selector("#stats-figures:has-text('Calls per model')", timeout=30_000)  # type: ignore[attr-defined]
    figures = page.inner_text("#stats-figures")  # type: ignore[attr-defined]
    assert "smollm2" in figures and "tokens" in figures, figures
    summary = page.inner_text("#stats-summary")  # type: ignore[attr-defined]
    assert re.search(r"\d+ answers by this server", summary), summary
    shot(page, "stats-tab")


def test_narrow_window(browser: object, server: ServeProcess) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.goto(server.url + "/")
    pg.wait_for_selector("#question textarea", timeout=60_000)
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width  # nothing forces sideways scrolling
    shot(pg, "chat-phone-width")
    context.close()


def test_files_outside_the_served_folders_are_refused(server: ServeProcess) -> None:
    for path in (
        "/gradio_api/file=/etc/passwd",
        "/file=/etc/passwd",
        "/gradio_api/file=../../../../etc/passwd",
        f"/gradio_api/file={REPO}/pyproject.toml",
    ):
        resp = httpx.get(server.url + path)
        assert resp.status_code in (403, 404), (path, resp.status_code)
        assert "root:" not in resp.text and "[project]" not in resp.text


def test_a_plugin_added_while_serving_reaches_the_picker_and_plugins_tab(
    browser: object, server: ServeProcess
) -> None:
    """Hot reload: the folder watcher of `frontdesk serve` picks the folder up; a page loaded
    after that offers the plugin in the specialist picker and lists it in the Plugins tab;
    removed, it leaves /v1/models."""
    extra: Path = server.extra  # type: ignore[attr-defined]
    write_plugin(extra, "kettles", "Kettles: descaling and care.", [], {"k.md": "Descale monthly."})
    try:
        deadline = time.time() + 60  # the watcher polls every 2 s (FRONTDESK_PLUGIN_POLL_SECONDS)
        while "frontdesk/kettles" not in httpx.get(server.url + "/v1/models").text:
            assert time.time() < deadline, "the running server never listed the new plugin"
            time.sleep(0.2)
        context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        pg = context.new_page()
        pg.goto(server.url + "/")
        pg.wait_for_selector("#question textarea", timeout=60_000)
        pg.wait_for_selector("#chatbot:has-text('Kettles: descaling and care.')", timeout=20_000)
        pg.click("#specialist input")
        assert pg.get_by_role("option", name="kettles").count() == 1
        pg.keyboard.press("Escape")
        pg.get_by_role("tab", name="Plugins").click()
        pg.wait_for_selector("#plugins-table:has-text('kettles')", timeout=20_000)
        shot(pg, "plugins-hot-reload")
        context.close()
    finally:
        shutil.rmtree(extra / "kettles")
    # Removed, it goes again.
    deadline = time.time() + 60
    while "frontdesk/kettles" in httpx.get(server.url + "/v1/models").text:
        assert time.time() < deadline, "the running server still lists the removed plugin"
        time.sleep(0.2)
