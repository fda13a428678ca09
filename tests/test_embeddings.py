"""The bundled MiniLM: the fast paths for short questions give the vectors encode() gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from frontdesk.embeddings import MiniLMEmbedder

pytestmark = pytest.mark.integration
TEXTS = ["How long should I rest a steak?", "what is my credit limit", "book a table"]


def test_direct_and_onnx_paths_match_encode(tmp_path: Path) -> None:
    emb = MiniLMEmbedder(cache_dir=tmp_path / "cache")
    reference = emb._model.encode(TEXTS, normalize_embeddings=True)
    assert emb._direct
    assert np.abs(emb._forward(TEXTS) - reference).max() < 1e-5
    assert emb._onnx is not None, "the ONNX query encoder should load here"
    assert np.abs(emb.embed(TEXTS) - reference).max() < 1e-4
    assert list((tmp_path / "cache").glob("minilm-*.onnx"))
    again = MiniLMEmbedder(cache_dir=tmp_path / "cache")  # reuses the export
    assert again._onnx is not None
    # No threads left spinning after a question: they took the core the answer needed.
    options = emb._onnx.session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    # Deterministic: the same question twice gives the same vector.
    assert np.array_equal(emb.embed(TEXTS[:1]), emb.embed(TEXTS[:1]))


def test_onnx_fallback_says_why(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    MiniLMEmbedder(cache_dir=tmp_path / "cache")  # exports the encoder
    for export in (tmp_path / "cache").glob("minilm-*.onnx"):
        export.write_bytes(b"not an onnx model")
    caplog.set_level(logging.INFO, logger="frontdesk.onnx_query")
    emb = MiniLMEmbedder(cache_dir=tmp_path / "cache")
    assert emb._onnx is None  # back on PyTorch...
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # ...and the log says so, with the error
    assert "query embeddings on PyTorch" in warnings[0].getMessage()
    assert warnings[0].exc_info is not None
