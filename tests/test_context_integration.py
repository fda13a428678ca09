"""A long thread on the real bundled SmolLM2 (2048-token context) keeps answering: its history
is trimmed to fit instead of overflowing the model's window."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

pytestmark = pytest.mark.integration

TOPICS = ["lighthouses", "glaciers", "violins", "beekeeping"]
# About 500 SmolLM2 tokens of notes: three such turns overflow a 2048-token window.
NOTES = (
    "Here are my notes, which may or may not matter. The morning was grey and the harbour "
    "smelled of salt and diesel. Someone had painted the railings a bright, cheerful blue. "
    "The ferry left late, as it usually does on market days, and the gulls followed it out. "
) * 8


def test_a_thread_longer_than_the_context_window_keeps_answering(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "home",
        plugins_path=str(tmp_path / "no-plugins"),
        bundled_plugins=False,
        entry_point_plugins=False,
        router_llm=False,
    )  # every question goes to the coordinator: SmolLM2
    engine = Engine(settings, embedder=HashEmbedder())
    budget = settings.context_window - settings.max_answer_tokens
    prompts: list[int] = []
    for topic in TOPICS:
        answer = engine.ask(f"{NOTES}\nQuestion: what are {topic}?", thread_id="long")
        assert answer.answer.strip(), topic
        (usage,) = answer.usage
        assert usage["model"] == "llamacpp:smollm2"
        prompts.append(usage["input_tokens"])
    # Every prompt stayed within the window although the thread's turns together are far past
    # it (at fa95dc4 the third turn failed: "Requested tokens (2303) exceed context window").
    # A bundled coordinator is now given no raw history at all (it repeated earlier answers);
    # trimming for models that do get history is covered with fake models in test_memory.py.
    assert all(400 < p <= budget for p in prompts), prompts
    assert len(engine.history("long")) == 2 * len(TOPICS)
