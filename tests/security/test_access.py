"""Every route behind one access check (issue 8, items 1 and 2), against the whole app in a real
uvicorn: API keys, the web login, thread ownership, and the keyless loopback mode's guards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from frontdesk.settings import Settings

from .attack import KEY_A, KEY_B, bearer, fake_server, gradio_call

ASK = {
    "model": "frontdesk",
    "messages": [{"role": "user", "content": "How long should I rest a steak?"}],
}
PROTECTED = [
    ("GET", "/v1/models"),
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/admin/reload"),
    ("GET", "/v1/threads"),
    ("GET", "/v1/stats"),
    ("GET", "/v1/threads/some-thread"),
    ("GET", "/source/kitchen/steak.md"),
    ("GET", "/"),
    ("GET", "/config"),
    ("GET", "/gradio_api/info"),
    ("POST", "/gradio_api/call/respond"),
    ("POST", "/gradio_api/queue/join"),
    ("POST", "/gradio_api/upload"),
    ("GET", "/gradio_api/file=/etc/passwd"),
    ("GET", "/gradio_api/heartbeat/abc"),
    ("POST", "/gradio_api/reset"),
    ("GET", "/no/such/route"),
]


def from_address(n: int) -> httpx.Client:
    """A client calling from its own loopback address (127.0.0.n): failed sign-ins are counted
    per address, so each test's guesses are its own."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=f"127.0.0.{n}"), timeout=60)


def login(url: str, key: str, client: httpx.Client | None = None) -> httpx.Response:
    return (client or httpx).post(f"{url}/login", data={"key": key}, follow_redirects=False)


def test_every_route_needs_a_key(keyed: Any) -> None:
    for n, (method, path) in enumerate(PROTECTED, 10):
        client = from_address(n)
        for headers in (
            {},
            bearer("sk-wrong"),
            {"Cookie": "frontdesk_session=key-1.9999999999.00"},
        ):
            r = client.request(method, keyed.url + path, headers=headers, json={})
            assert r.status_code == 401, (method, path, headers, r.status_code)
            assert r.json()["error"]["code"] == "invalid_api_key"
    # A browser is sent to the sign-in page instead.
    page = httpx.get(keyed.url + "/", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/login"
    # With a key, the same routes answer.
    assert httpx.get(f"{keyed.url}/v1/models", headers=bearer(KEY_A)).status_code == 200
    assert httpx.get(f"{keyed.url}/gradio_api/info", headers=bearer(KEY_B)).status_code == 200
    assert (
        httpx.get(f"{keyed.url}/source/kitchen/steak.md", headers=bearer(KEY_A)).status_code == 200
    )


def test_readiness_details_need_a_key(keyed: Any) -> None:
    assert httpx.get(f"{keyed.url}/healthz").status_code == 200
    bare = httpx.get(f"{keyed.url}/readyz").json()
    assert "checks" not in bare and "ready" in bare
    assert "checks" in httpx.get(f"{keyed.url}/readyz", headers=bearer(KEY_A)).json()


def test_web_login_binds_the_session_to_a_key(keyed: Any) -> None:
    form = httpx.get(f"{keyed.url}/login")
    assert form.status_code == 200 and 'name="key"' in form.text
    assert 'name="username"' not in form.text  # no user name that could be "anything"
    wrong = login(keyed.url, "sk-guess", from_address(40))
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    ok = login(keyed.url, KEY_A)
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and KEY_A not in cookie
    session = cookie.split(";")[0]
    page = httpx.get(f"{keyed.url}/", headers={"Cookie": session})
    assert page.status_code == 200 and "gradio" in page.text.lower()
    # The session is the key's: tampering with it, or naming another key's fingerprint, fails.
    name, value = session.split("=", 1)
    owner, expires, mac = value.split(".")
    forged = [
        f"{name}={owner}.{int(expires) + 3600}.{mac}",
        f"{name}={owner}.{expires}.{'0' * len(mac)}",
        f"{name}=key-{'1' * 16}.{expires}.{mac}",
    ]
    for bad in forged:
        assert httpx.get(f"{keyed.url}/v1/models", headers={"Cookie": bad}).status_code == 401


def test_failed_logins_are_slowed_then_locked_out(keyed: Any) -> None:
    guesser = from_address(50)
    statuses = [login(keyed.url, f"sk-guess-{i}", guesser).status_code for i in range(10)]
    assert statuses == [401] * 10
    # Locked out now: not even the right key is compared for this client for a while...
    assert login(keyed.url, KEY_A, guesser).status_code == 429
    r = guesser.get(f"{keyed.url}/v1/models", headers=bearer(KEY_A))
    assert r.status_code == 429 and r.json()["error"]["code"] == "locked_out"
    # ...while other clients are not affected.
    assert login(keyed.url, KEY_A, from_address(51)).status_code == 303


def test_threads_belong_to_their_key(keyed: Any) -> None:
    thread = {"X-Frontdesk-Thread": "alice-private"}
    r = httpx.post(
        f"{keyed.url}/v1/chat/completions",
        json=ASK,
        headers={**bearer(KEY_A), **thread},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    mine = httpx.get(f"{keyed.url}/v1/threads/alice-private", headers=bearer(KEY_A))
    assert mine.status_code == 200 and len(mine.json()["messages"]) == 2
    # Bob sees nothing of it: not in his list, 404 to read or to continue it (streamed or not).
    assert (
        httpx.get(f"{keyed.url}/v1/threads/alice-private", headers=bearer(KEY_B)).status_code == 404
    )
    listed = httpx.get(f"{keyed.url}/v1/threads", headers=bearer(KEY_B)).json()["data"]
    assert "alice-private" not in {t["thread_id"] for t in listed}
    for stream in (False, True):
        r = httpx.post(
            f"{keyed.url}/v1/chat/completions",
            json={**ASK, "stream": stream},
            headers={**bearer(KEY_B), **thread},
        )
        assert r.status_code == 404, (stream, r.status_code)
    # Nor through the web chat's own Gradio endpoints.
    for fn, data in (
        ("load", ["alice-private"]),
        ("reopen", ["alice-private", None]),
        ("respond", ["What did I ask before?", "alice-private", "auto"]),
    ):
        _, events = gradio_call(keyed.url, fn, data, headers=bearer(KEY_B))
        text = str(events)
        assert events and "rest a steak" not in text, (fn, text[:300])
    # Alice's web session (same key) does see it.
    _, events = gradio_call(keyed.url, "load", ["alice-private"], headers=bearer(KEY_A))
    assert "rest a steak" in str(events)
    # Bob cannot delete it; Alice can, and then it is gone for her too.
    gone = f"{keyed.url}/v1/threads/alice-private"
    assert httpx.delete(gone, headers=bearer(KEY_B)).status_code == 404
    assert httpx.get(gone, headers=bearer(KEY_A)).status_code == 200
    assert httpx.delete(gone, headers=bearer(KEY_A)).json()["deleted"] is True
    assert httpx.get(gone, headers=bearer(KEY_A)).status_code == 404
    assert httpx.delete(gone, headers=bearer(KEY_A)).status_code == 404


@pytest.fixture
def keyless(make_settings: Callable[..., Settings]) -> Iterator[Any]:
    with fake_server(make_settings, api_keys="") as srv:
        yield srv


def test_keyless_mode_refuses_cross_site_and_foreign_hosts(keyless: Any) -> None:
    url = f"{keyless.url}/v1/chat/completions"
    assert httpx.post(url, json=ASK, timeout=60).status_code == 200  # a local script is fine
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
    r = httpx.get(f"{keyless.url}/v1/models", headers={"Host": "evil.example:7860"})
    assert r.status_code == 421
    refused = [
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ]
    for headers in refused:
        assert httpx.post(url, json=ASK, headers=headers).status_code == 403, headers
        r = httpx.post(f"{keyless.url}/gradio_api/call/respond", json={"data": []}, headers=headers)
        assert r.status_code == 403, headers
    # A cross-site form cannot send JSON: anything else is refused before it is read.
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        r = httpx.post(url, content=b'{"model": "frontdesk"}', headers={"Content-Type": ctype})
        assert r.status_code == 403, ctype
    # Nor can another site make the server reload its plugins.
    reload = f"{keyless.url}/v1/admin/reload"
    assert httpx.post(reload, json={}, headers={"Origin": "http://evil.example"}).status_code == 403
    assert (
        httpx.post(reload, content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 403
    )
    # The page's own requests (same origin) pass.
    same = {"Origin": keyless.url, "Sec-Fetch-Site": "same-origin"}
    assert httpx.post(url, json=ASK, headers=same, timeout=60).status_code == 200
