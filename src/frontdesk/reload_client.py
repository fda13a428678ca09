"""`frontdesk reload`: ask a running `frontdesk serve` to reload its plugins (admin_api.py).

The key, when the server has FRONTDESK_API_KEYS, is the first of the same variable here (never
a command-line argument, which other users of the machine could read).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from frontdesk.errors import BackendError, FrontdeskError, InputError
from frontdesk.settings import Settings


def request_reload(url: str, settings: Settings, ingest: bool = True) -> dict[str, Any]:
    """POST /v1/admin/reload; the report plus `lines` to print. Errors are one line each."""
    import httpx

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"--url {url!r} is not an http(s) URL; give the server's address, e.g. "
            "http://127.0.0.1:7860"
        )
    keys = [k.strip() for k in settings.api_keys.split(",") if k.strip()]
    headers = {"Authorization": f"Bearer {keys[0]}"} if keys else {}
    target = url.rstrip("/") + "/v1/admin/reload"
    try:
        # A reload rebuilds the router (it embeds every plugin's examples): minutes with many.
        reply = httpx.post(target, json={"ingest": ingest}, headers=headers, timeout=600.0)
    except httpx.HTTPError as exc:
        raise BackendError(
            f"no frontdesk server answered at {url} ({type(exc).__name__}); is `frontdesk "
            "serve` running there? (--url)"
        ) from exc
    if reply.status_code in (401, 403):
        raise InputError(
            f"{target} refused the reload (HTTP {reply.status_code}); set FRONTDESK_API_KEYS "
            "to one of the server's keys"
        )
    if reply.status_code != 200:
        raise FrontdeskError(f"{target} answered HTTP {reply.status_code}: {reply.text[:200]}")
    report: dict[str, Any] = reply.json()
    lines = [f"plugins: {', '.join(report['plugins']) or 'none'}"]
    for key in ("added", "removed", "changed", "kept", "ingesting"):
        if report.get(key):
            lines.append(f"{key}: {', '.join(report[key])}")
    report["lines"] = lines
    return report
