"""Knowledge sentences are embedded once and remembered; the vectors are the ones the embedder
gives, whichever batch a sentence first came in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from frontdesk import sentence_cache
from frontdesk.testing import HashEmbedder

SENTENCES = [
    "Rest a thick steak for five to ten minutes.",
    "Cooked rice keeps for a month in the freezer.",
    "Prune roses in late winter.",
]


class Counting(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return super().embed(texts)


def test_sentences_embedded_once_and_vectors_unchanged() -> None:
    emb = Counting()
    first = sentence_cache.embed(emb, "How long do I rest steak?", SENTENCES)
    assert np.allclose(first, HashEmbedder().embed(["How long do I rest steak?", *SENTENCES]))
    emb.seen.clear()
    again = sentence_cache.embed(emb, "Can I freeze rice?", [SENTENCES[1], "A new sentence."])
    assert emb.seen == ["Can I freeze rice?", "A new sentence."]  # the known one is remembered
    assert np.allclose(again[1], first[2])
    other = Counting()  # another embedder never gets this one's vectors
    sentence_cache.embed(other, "q", SENTENCES[:1])
    assert other.seen == ["q", SENTENCES[0]]


@pytest.mark.integration
def test_minilm_vectors_match_whatever_batch_they_came_in(tmp_path: Path) -> None:
    from frontdesk.embeddings import MiniLMEmbedder

    emb = MiniLMEmbedder(cache_dir=tmp_path / "cache")
    many = SENTENCES * 3 + ["Oil the chain every few hundred kilometres."]
    sentence_cache.embed(emb, "warm up", many)  # remembered from a large (encode) batch
    question = "How long should I rest a steak?"
    cached = sentence_cache.embed(emb, question, SENTENCES)  # question on the short path
    direct = emb._model.encode([question, *SENTENCES], normalize_embeddings=True)
    assert np.abs(cached - direct).max() < 1e-4
