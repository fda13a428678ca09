"""The web chat of issue 12 in headless Chromium (Playwright), against the whole app in a real
uvicorn around an engine on scripted models (fast; tests/test_browser.py drives the bundled
models): Stop, Regenerate, edit and resend, copy, delete; thumbs up/down with the specialist
that should have answered; the welcome; Earlier chats; sources in place; the route while
answering; the Plugins table, Stats, phone width, and no console warnings. Screenshots at 1280
and 390 px, light and dark, land in test-artifacts/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from frontdesk.engine import Engine
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import FakeChatModel, HashEmbedder

from .conftest import MINI_PLUGINS, REPO, write_plugin
from .pdfgen import write_pdf
from .servers import CHROMIUM_ARGS, ThreadServer

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
WAIT = 30_000
SIZES = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("webchat")
    root = tmp / "plugins"
    for name, (desc, examples, docs) in MINI_PLUGINS.items():
        write_plugin(root, name, desc, examples, docs)
    write_plugin(
        root,
        "teapots",
        "Teapots: brewing tea slowly, warming the pot, tea leaves.",
        ["How long should green tea brew?"],
        {"tea.md": "# Tea\n\nBrew green tea for two minutes in water below boiling."},
    )
    manual = root / "teapots" / "knowledge" / "manual.pdf"
    write_pdf(manual, ["Teapot manual.", "Warm the teapot with hot water before brewing."])
    settings = Settings(
        home=tmp / "home",
        plugins_path=str(root),
        bundled_plugins=False,
        entry_point_plugins=False,
        coordinator_model="fake:slow",  # streams words slowly: something to Stop
        default_model="fake:facts",
        router_llm=False,
        api_keys="",
    )
    engine = Engine(settings, embedder=HashEmbedder())
    engine.ingest()
    with ThreadServer(build_app(engine)) as srv:
        srv.engine = engine  # type: ignore[attr-defined]
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: Any) -> Iterator[Any]:
    """A fresh browser profile on the chat; fails the test if the page logged a warning or
    an error (CSP violations, Gradio warnings, failed requests)."""
    context = browser.new_context(viewport=SIZES["1280"])
    pg = context.new_page()
    console = watch(pg)
    pg.goto(server.url + "/")
    pg.wait_for_selector("#question textarea", timeout=60_000)
    yield pg
    context.close()
    assert console == [], console


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"webchat-{name}.png"), full_page=True)


def watch(pg: Any) -> list[str]:
    """The page's console warnings and errors (the app must log none)."""
    console: list[str] = []
    pg.on(
        "console",
        lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("warning", "error") else None,
    )
    pg.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    return console


def shots(page: Any, name: str, ready: str = "#question textarea") -> None:
    """The page's chat (same browser storage, so the same thread) at 1280 and 390 px, light
    and dark, each in a fresh tab."""
    state = page.context.storage_state()
    for size, viewport in SIZES.items():
        for scheme in ("light", "dark"):
            context = page.context.browser.new_context(
                viewport=viewport, color_scheme=scheme, storage_state=state
            )
            pg = context.new_page()
            console = watch(pg)
            pg.goto(page.url)
            pg.wait_for_selector(ready, timeout=WAIT)
            pg.wait_for_timeout(300)  # let the thread's messages render
            assert pg.evaluate("() => document.body.classList.contains('dark')") == (
                scheme == "dark"
            )
            shot(pg, f"{name}-{size}-{scheme}")
            context.close()
            assert console == [], console


def ask(page: Any, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#send")


def routes(page: Any) -> int:
    return int(
        page.evaluate(
            "() => [...document.querySelectorAll('#chatbot *')].filter(e => "
            "e.childElementCount === 0 && /^Route: /.test(e.textContent.trim())).length"
        )
    )


def wait_routes(page: Any, n: int) -> None:
    page.wait_for_function(
        "n => [...document.querySelectorAll('#chatbot *')].filter(e => e.childElementCount === 0"
        " && /^Route: /.test(e.textContent.trim())).length === n",
        arg=n,
        timeout=WAIT,
    )
    page.wait_for_selector("#send", state="visible", timeout=WAIT)


def thread_of(server: Any, page: Any, question: str) -> str:
    owner = "local"
    for t in server.engine.threads(owner=owner):
        if t["title"] == question:
            return str(t["thread_id"])
    raise AssertionError(f"no thread titled {question!r}")


def test_welcome_lists_specialists_and_examples_are_prompts(page: Any, server: Any) -> None:
    chat = page.inner_text("#chatbot")
    for name, (desc, _, _) in MINI_PLUGINS.items():
        assert name in chat and desc in chat
    assert "teapots" in chat
    shots(page, "welcome")
    page.get_by_text("How often should I water tomatoes?", exact=False).first.click()
    wait_routes(page, 1)
    assert "Water tomatoes deeply" in page.inner_text("#chatbot")
    # The same list answers "what can you help with?" in the chat (from the registry).
    ask(page, "What can you help me with?")
    wait_routes(page, 2)
    chat = page.inner_text("#chatbot")
    assert "answered from the list of installed specialists" in page.inner_text("#route")
    assert chat.count("Gardening: pruning roses") >= 1


def test_route_shows_while_answering_and_stop_keeps_nothing(page: Any, server: Any) -> None:
    FakeChatModel.slow_words, FakeChatModel.delay = 400, 0.05
    ask(page, "Tell me a long story about the moon")
    # Who is working shows before the answer's first token.
    page.wait_for_selector("#chatbot :text('Working: the general model')", timeout=WAIT)
    page.wait_for_selector("#stop", state="visible", timeout=WAIT)
    page.wait_for_selector("#chatbot :text('word3')", timeout=WAIT)
    shot(page, "answering-1280-light")
    page.click("#stop")
    page.wait_for_selector("#route:has-text('Stopped')", timeout=WAIT)
    page.wait_for_selector("#send", state="visible", timeout=WAIT)
    emitted = FakeChatModel.emitted
    assert "word3" not in page.inner_text("#chatbot")
    assert page.input_value("#question textarea") == "Tell me a long story about the moon"
    page.wait_for_timeout(1500)  # a generation that kept running would emit ~30 more words
    assert FakeChatModel.emitted <= emitted + 1
    assert not any(t["title"].startswith("Tell me a long") for t in server.engine.threads())
    # The server is free again: the next question is answered.
    FakeChatModel.slow_words = 3
    page.click("#send")
    wait_routes(page, 1)
    assert "word2" in page.inner_text("#chatbot")


def test_multi_part_answer_marks_each_specialist(page: Any) -> None:
    FakeChatModel.slow_words, FakeChatModel.delay = 2, 0.01  # the merge
    ask(page, "How long should I rest a steak? And when should I prune my roses?")
    wait_routes(page, 1)
    chat = page.inner_text("#chatbot")
    if "Parts:" not in chat:
        pytest.fail(f"no parts fold-out for a two-part question: {chat[:400]}")
    page.click("#chatbot :text('Parts:')")
    page.wait_for_selector("#chatbot .fd-parts", timeout=WAIT)
    parts = page.inner_text("#chatbot .fd-parts")
    assert re.search(r"kitchen answered: .*steak", parts), parts
    assert re.search(r"garden answered: .*roses", parts), parts
    shots(page, "answered", ready="#chatbot :text('Parts:')")


def answers_of(server: Any, thread: str) -> list[str]:
    return [
        m.additional_kwargs["frontdesk"]["answer_id"]
        for m in server.engine.history(thread)
        if m.type == "ai"
    ]


def until(page: Any, check: Any, what: str) -> None:
    """Poll the server-side `check` while the page works (answers arrive over the queue)."""
    for _ in range(150):
        if check():
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"timed out waiting for {what}")


def test_regenerate_edit_copy_and_delete(browser: Any, server: Any) -> None:
    context = browser.new_context(
        viewport=SIZES["1280"], permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    console = watch(page)
    page.goto(server.url + "/")
    page.wait_for_selector("#question textarea", timeout=WAIT)
    ask(page, "How long should I rest a steak?")
    wait_routes(page, 1)
    thread = thread_of(server, page, "How long should I rest a steak?")
    first = answers_of(server, thread)

    # Regenerate, replacing the answer: still one answer, a new one.
    page.click("#chatbot button[aria-label='Retry']")
    until(page, lambda: answers_of(server, thread) not in ([], first), "a regenerated answer")
    wait_routes(page, 1)
    assert len(answers_of(server, thread)) == 1
    # Regenerate, keeping both.
    page.click("#regen-mode label:has-text('keep both')")
    page.click("#chatbot button[aria-label='Retry']")
    wait_routes(page, 2)
    assert len(answers_of(server, thread)) == 2

    # Copy an answer.
    page.locator("#chatbot button[aria-label='Copy message']").last.click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert "Rest a thick steak for eight minutes" in copied

    # Edit the first question and resend: the thread continues from the edited question.
    page.locator("#chatbot button[aria-label='Edit']").first.click()
    page.fill("#chatbot textarea", "Can I freeze cooked rice?")
    page.click("#chatbot button[aria-label='Submit']")
    until(
        page,
        lambda: (
            [str(m.content) for m in server.engine.history(thread) if m.type == "human"]
            == ["Can I freeze cooked rice?"]
        ),
        "the edited thread",
    )
    wait_routes(page, 1)
    chat = page.inner_text("#chatbot")
    assert "Freeze cooked rice within one hour" in chat and "rest a steak" not in chat
    shot(page, "edited-1280-light")

    # The trash icon deletes the thread, after asking; keeping it keeps it.
    page.click("#chatbot button[aria-label='Clear']")
    page.wait_for_selector("#confirm-row", state="visible", timeout=WAIT)
    assert "freeze cooked rice" in page.inner_text("#chatbot").lower()
    page.click("#cancel-delete")
    page.wait_for_selector("#confirm-row", state="hidden", timeout=WAIT)
    assert server.engine.history(thread)
    page.click("#chatbot button[aria-label='Clear']")
    page.click("#confirm-delete")
    page.wait_for_selector("#route:has-text('Chat deleted.')", timeout=WAIT)
    assert server.engine.history(thread) == []
    page.reload()
    page.wait_for_selector("#question textarea", timeout=WAIT)
    assert "within one hour" not in page.inner_text("#chatbot")
    context.close()
    assert console == [], console


def test_feedback_thumbs_and_the_specialist_that_should_have_answered(
    page: Any, server: Any
) -> None:
    ask(page, "How long should I rest a steak?")
    wait_routes(page, 1)
    ask(page, "When should I prune my roses?")
    wait_routes(page, 2)
    thread = thread_of(server, page, "How long should I rest a steak?")
    steak, roses = answers_of(server, thread)
    page.locator("#chatbot button[aria-label='Like']").first.click()
    page.wait_for_selector("#feedback-note:has-text('feedback saved')", timeout=WAIT)
    assert server.engine.feedback.get(steak, "local")["rating"] == "up"
    page.locator("#chatbot button[aria-label='Dislike']").last.click()
    page.wait_for_selector("#feedback-form", state="visible", timeout=WAIT)
    assert server.engine.feedback.get(roses, "local")["rating"] == "down"
    page.fill("#feedback-reason textarea", "roses are kitchen business here")
    page.click("#feedback-plugin input")
    page.get_by_role("option", name="kitchen").click()
    page.wait_for_selector("[role=option]", state="hidden", timeout=WAIT)
    shot(page, "feedback-1280-light")
    page.click("#feedback-send")
    page.wait_for_selector("#feedback-note:has-text('should have gone to: kitchen')", timeout=WAIT)
    assert server.engine.feedback.get(roses, "local") == {
        "rating": "down",
        "reason": "roses are kitchen business here",
        "plugin": "kitchen",
    }
    assert ("When should I prune my roses?", "kitchen") in server.engine.feedback.corrections()
    # A reopened chat shows the thumbs given, and its answers can still be rated.
    page.reload()
    page.wait_for_selector("#chatbot:has-text('prune my roses')", timeout=WAIT)
    page.wait_for_selector("#chatbot button[aria-label='Liked']", timeout=WAIT)
    assert page.locator("#chatbot button[aria-label='Disliked']").count() == 1
    page.locator("#chatbot button[aria-label='Dislike']").first.click()
    page.wait_for_selector("#feedback-form", state="visible", timeout=WAIT)
    assert server.engine.feedback.get(steak, "local")["rating"] == "down"
    # A new chat's answers start without thumbs (none carried over from the last chat).
    page.click("#new-chat")
    wait_routes(page, 0)
    ask(page, "Can I freeze cooked rice?")
    wait_routes(page, 1)
    thumbs = "#chatbot button[aria-label='Liked'], #chatbot button[aria-label='Disliked']"
    assert page.locator(thumbs).count() == 0


def test_earlier_chats_titles_dates_search_rename(page: Any, server: Any) -> None:
    first_tab = page
    for question in ("How often should I water tomatoes?", "Can I freeze cooked rice?"):
        page.click("#new-chat")
        wait_routes(page, 0)
        ask(page, question)
        wait_routes(page, 1)
    # Loaded with the page: the list comes in the same call that restores the chat. (A new tab
    # of the same browser, not a reload that would cut the first tab's last list refresh.)
    page = first_tab.context.new_page()
    console = watch(page)
    page.goto(first_tab.url)
    page.wait_for_selector("#chatbot:has-text('Can I freeze cooked rice?')", timeout=WAIT)
    page.click("#threads input")
    options = page.get_by_role("option").all_inner_texts()
    rice = next(i for i, o in enumerate(options) if o.startswith("Can I freeze cooked rice?"))
    water = next(i for i, o in enumerate(options) if o.startswith("How often should I water"))
    assert rice < water  # newest first
    assert re.search(r" · \d\d:\d\d$", options[rice]), options[rice]  # with its time today
    page.keyboard.press("Escape")

    page.fill("#thread-search textarea", "water tomatoes")
    page.wait_for_function("() => true", timeout=WAIT)
    page.wait_for_timeout(500)
    page.click("#threads input")
    found = page.get_by_role("option").all_inner_texts()
    assert found and all("water tomatoes" in o for o in found), found
    page.get_by_role("option", name=re.compile("How often should I water")).first.click()
    page.wait_for_selector("#chatbot:has-text('How often should I water tomatoes?')", timeout=WAIT)

    page.fill("#rename-title textarea", "Tomato care")
    page.click("#rename")
    page.wait_for_selector("#route:has-text('Renamed.')", timeout=WAIT)
    titles = [t["title"] for t in server.engine.threads()]
    assert "Tomato care" in titles
    page.fill("#thread-search textarea", "tomato care")
    page.wait_for_timeout(500)
    page.click("#threads input")
    assert [o.split(" · ")[0] for o in page.get_by_role("option").all_inner_texts()] == [
        "Tomato care"
    ]
    shot(page, "threads-1280-light")
    assert console == [], console


def test_sources_open_in_place_with_the_passage_marked(page: Any) -> None:
    ask(page, "How long should I rest a steak?")
    wait_routes(page, 1)
    page.click("#chatbot :text('Sources (')")
    page.click("#chatbot a.fd-cite")
    page.wait_for_selector("#source-panel mark.fd-hit", timeout=WAIT)
    assert len(page.context.pages) == 1  # no new tab
    assert "steak.md" in page.inner_text("#source-panel")
    assert "Rest a thick steak" in page.inner_text("#source-panel mark.fd-hit")
    # The marked passage is scrolled into view inside the panel.
    page.wait_for_function(
        "() => { const m = document.querySelector('#source-panel mark.fd-hit').getBoundingClientRect();"
        " const d = document.querySelector('#source-panel .fd-doc').getBoundingClientRect();"
        " return m.top >= d.top && m.bottom <= d.bottom && m.top >= 0 && m.bottom <= innerHeight; }",
        timeout=WAIT,
    )
    shot(page, "source-panel-1280-light")
    page.click("#close-source")
    page.wait_for_selector("#source-col", state="hidden", timeout=WAIT)
    # A PDF shows the page the passage is on.
    page.click("#specialist input")
    page.get_by_role("option", name="teapots").click()
    ask(page, "Warm the teapot with hot water before brewing?")
    wait_routes(page, 2)
    page.locator("#chatbot :text('Sources (')").last.click()
    page.locator("#chatbot a.fd-cite:has-text('manual.pdf')").first.click()
    page.wait_for_selector("#source-panel:has-text('page 1 of 1')", timeout=WAIT)
    assert "Warm the teapot" in page.inner_text("#source-panel mark.fd-hit")


def test_plugins_table_is_readable_and_stats_separate_this_server(
    page: Any, server: Any, tmp_path: Path
) -> None:
    ask(page, "When should I prune my roses?")
    wait_routes(page, 1)
    page.get_by_role("tab", name="Plugins").click()
    page.wait_for_selector("#plugins-table table", timeout=WAIT)
    headers = page.locator("#plugins-table thead th").all_inner_texts()
    assert headers == ["plugin", "model", "documents", "chunks", "last ingest", "status", "errors"]
    # Headers stay on one line (not broken mid-word), and descriptions are there in full.
    assert page.evaluate(
        "() => [...document.querySelectorAll('#plugins-table thead th')].every("
        "th => th.getClientRects().length === 1 && th.scrollWidth <= th.clientWidth + 1 &&"
        " th.offsetHeight < 2.2 * parseFloat(getComputedStyle(th).lineHeight || 20))"
    )
    font = page.evaluate(
        "() => getComputedStyle(document.querySelector('#plugins-table td')).fontFamily"
    )
    assert "mono" not in font.lower(), font
    assert MINI_PLUGINS["garden"][0] in page.inner_text("#plugins-table")
    shot(page, "plugins-1280-light")

    # Another process on the same home (the CLI) answers: "all history" counts it, "this
    # server" does not.
    mine, everyone = (server.engine.stats(since_start=s)["answers"] for s in (True, False))
    cli = Engine(server.engine.settings, embedder=HashEmbedder())
    list(cli.stream("How long should I rest a steak?"))
    assert server.engine.stats(since_start=True)["answers"] == mine
    assert server.engine.stats(since_start=False)["answers"] == everyone + 1
    page.get_by_role("tab", name="Stats").click()
    page.wait_for_selector("#stats-summary:has-text('by this server')", timeout=WAIT)
    assert f"{mine} answers by this server" in page.inner_text("#stats-summary")
    page.click("#stats-scope label:has-text('all history')")
    page.wait_for_selector("#stats-summary:has-text('all stored history')", timeout=WAIT)
    assert f"{everyone + 1} answers in all stored history" in page.inner_text("#stats-summary")
    assert "Calls per model" in page.inner_text("#stats-figures")
    shot(page, "stats-1280-light")


def test_phone_width_puts_the_chat_first(browser: Any, server: Any) -> None:
    context = browser.new_context(viewport=SIZES["390"], is_mobile=True, has_touch=True)
    pg = context.new_page()
    console = watch(pg)
    pg.goto(server.url + "/")
    pg.wait_for_selector("#question textarea", timeout=WAIT)
    pg.wait_for_selector("#sidebar:not(.open)", timeout=WAIT)  # the drawer starts closed
    box = pg.locator("#question textarea").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert pg.evaluate("document.documentElement.scrollWidth") <= 400
    chat = pg.locator("#chatbot").bounding_box()
    assert chat and chat["x"] >= 0 and chat["width"] > 300  # the chat, not the sidebar, fills it
    shot(pg, "phone-chat-390-light")
    pg.click("#sidebar .toggle-button")
    pg.wait_for_selector("#sidebar.open #new-chat", state="visible", timeout=WAIT)
    shot(pg, "phone-drawer-390-light")
    context.close()
    assert console == [], console


def test_a_correction_in_the_web_chat_changes_where_the_question_goes(
    browser: Any, tmp_path: Path
) -> None:
    """Issue 12 item 2 end to end: earlier users' corrections plus one given in the web chat
    reach the safeguard's minimum; the refit that follows sends the same kind of question to
    the specialist the users named, in the web chat."""
    from .test_feedback import ESPRESSO

    root = tmp_path / "plugins"
    for name, (desc, examples, docs) in MINI_PLUGINS.items():
        write_plugin(root, name, desc, examples, docs)
    settings = Settings(
        home=tmp_path / "home",
        plugins_path=str(root),
        bundled_plugins=False,
        entry_point_plugins=False,
        coordinator_model="fake:echo",
        default_model="fake:facts",
        router_llm=False,
        api_keys="",
    )
    engine = Engine(settings, embedder=HashEmbedder())
    engine.ingest()
    question = "Is it time to descale my espresso machine?"
    assert "kitchen" not in [p.name for p in engine.route(question).plugins]
    for asked in ESPRESSO[:-1]:  # earlier users' corrections, one short of the minimum
        answer_id = list(engine.stream(asked, owner="local"))[-1].data["answer_id"]
        engine.record_feedback(answer_id, owner="local", rating="down", plugin="kitchen")
    assert engine.learner.wait(120) and not (engine.learner.last_report or {}).get("kept")

    with ThreadServer(build_app(engine)) as srv:
        context = browser.new_context(viewport=SIZES["1280"])
        page = context.new_page()
        console = watch(page)
        page.goto(srv.url + "/")
        page.wait_for_selector("#question textarea", timeout=60_000)
        ask(page, ESPRESSO[-1])
        wait_routes(page, 1)
        page.locator("#chatbot button[aria-label='Dislike']").last.click()
        page.wait_for_selector("#feedback-form", state="visible", timeout=WAIT)
        page.click("#feedback-plugin input")
        page.get_by_role("option", name="kitchen").click()
        page.wait_for_selector("[role=option]", state="hidden", timeout=WAIT)
        page.click("#feedback-send")
        page.wait_for_selector(
            "#feedback-note:has-text('should have gone to: kitchen')", timeout=WAIT
        )
        assert engine.learner.wait(120)
        assert (engine.learner.last_report or {}).get("kept"), engine.learner.last_report
        ask(page, question)
        wait_routes(page, 2)
        titles = page.evaluate(
            "() => [...document.querySelectorAll('#chatbot *')].filter(e => e.childElementCount"
            " === 0 && /^Route: /.test(e.textContent.trim())).map(e => e.textContent.trim())"
        )
        assert "kitchen" not in titles[0] and "kitchen" in titles[1], titles
        shot(page, "correction-learned-1280-light")
        context.close()
    assert console == [], console
