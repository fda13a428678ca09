"""examples/bot.py runs against a real server (fake models, real HTTP, the real openai client)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from frontdesk.engine import Engine
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import REPO
from .servers import ThreadServer


def test_example_bot_prints_the_answer_route_and_sources(
    make_settings: Callable[..., Settings],
) -> None:
    eng = Engine(make_settings(), embedder=HashEmbedder())
    eng.ingest()
    with ThreadServer(build_app(eng, with_ui=False)) as srv:
        proc = subprocess.run(
            [
                sys.executable,
                str(REPO / "examples" / "bot.py"),
                "How long should I rest a steak?",
                "--base-url",
                f"{srv.url}/v1",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ},
        )
    assert proc.returncode == 0, proc.stderr
    assert "Rest a thick steak for eight minutes" in proc.stdout
    assert "[specialist: kitchen]" in proc.stderr and "source: kitchen/steak.md" in proc.stderr
    assert len(eng.history("example-bot")) == 2
