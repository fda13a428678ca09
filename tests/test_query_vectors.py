"""A question is embedded once per answer: routing, retrieval and answer selection share its
vector (query_vectors.py), and the shared vector is the one embed([question]) gives."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from frontdesk import query_vectors
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder


class CountingEmbedder(HashEmbedder):
    """The test embedder, with a record of every batch it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return super().embed(texts)


def test_a_question_is_embedded_once_per_answer(make_settings: Callable[..., Settings]) -> None:
    embedder = CountingEmbedder()
    eng = Engine(make_settings(), embedder=embedder)
    eng.ingest()
    first = eng.ask("How long should I rest a steak?")  # also embeds the sentences it reads
    assert first.route["plugins"][0]["name"] == "kitchen"
    question = "how long do I rest a thick steak"  # the same chunks, sentences known now
    answer = eng.ask(question)
    assert answer.route["plugins"][0]["name"] == "kitchen"
    assert "eight minutes" in answer.answer
    assert sum(question in batch for batch in embedder.batches) == 1


def test_the_shared_vector_is_the_embedders_own() -> None:
    embedder = HashEmbedder()
    text = "Can I freeze cooked rice?"
    vector = query_vectors.embed_one(embedder, text)
    assert np.array_equal(vector, embedder.embed([text])[0])
    assert query_vectors.embed_one(embedder, text) is vector  # remembered, not recomputed
    assert not vector.flags.writeable  # shared by every caller: nobody may change it
