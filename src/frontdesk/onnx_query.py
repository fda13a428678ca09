"""A faster path for embedding one question: MiniLM exported to ONNX, run by ONNX Runtime.

Routing embeds one short question at a time, where PyTorch's per-call overhead dominates; the
same network under ONNX Runtime took a third of the time here (BENCHMARKS.md). The export is
made once from the bundled weights into a cache folder, and checked at load: if its vectors
differ from PyTorch's by more than 1e-4 it is not used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

PROBE = ["How long should I rest a steak?", "what is my credit limit"]


class _Wrapped:
    """Keyword-only forward for the exporter (BertModel's positional order varies)."""

    def __new__(cls, model: Any) -> Any:
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                out = self.model(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                )
                return out.last_hidden_state

        return Wrapper()


class OnnxQueryEncoder:
    def __init__(self, session: Any, tokenizer: Any, max_length: int) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.inputs = {i.name for i in session.get_inputs()}

    def embed(self, texts: list[str]) -> np.ndarray:
        batch = self.tokenizer(
            texts, return_tensors="np", padding=True, truncation=True, max_length=self.max_length
        )
        feed = {k: np.asarray(v, dtype=np.int64) for k, v in batch.items() if k in self.inputs}
        hidden = self.session.run(None, feed)[0]
        mask = np.asarray(batch["attention_mask"], dtype=np.float32)[..., None]
        pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
        return np.asarray(pooled / np.linalg.norm(pooled, axis=1, keepdims=True), dtype=np.float32)


def load(st_model: Any, weights: Path, cache_dir: Path, reference: Any) -> OnnxQueryEncoder | None:
    """Export (once) and load the ONNX query encoder; None when unavailable or not identical."""
    try:
        import onnxruntime as ort
        import torch
    except ImportError as exc:
        log.info("query embeddings on PyTorch: ONNX Runtime is not installed (%s)", exc)
        return None
    try:
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
        target = cache_dir / f"minilm-{digest}.onnx"
        tokenizer = st_model.tokenizer
        if not target.is_file():
            cache_dir.mkdir(parents=True, exist_ok=True)
            # Traced on one unpadded sentence: tracing a padded batch bakes in a masking branch
            # that then mis-handles other paddings (caught by the check below).
            sample = tokenizer(PROBE[:1], return_tensors="pt")
            partial = cache_dir / f".{target.name}.{os.getpid()}.part"
            names = ["input_ids", "attention_mask", "token_type_ids"]
            network = st_model[0].auto_model
            wrapper = _Wrapped(network).eval()  # a wrapper left in training mode exports dropout
            with warnings.catch_warnings():  # tracer chatter, checked by the probe below
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    wrapper,
                    tuple(sample[n] for n in names),
                    str(partial),
                    input_names=names,
                    output_names=["last_hidden_state"],
                    dynamic_axes={
                        n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]
                    },
                    opset_version=17,
                    dynamo=False,
                )
            network.eval()
            partial.replace(target)  # never a half-written model
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        # A question is a few milliseconds of work: threads spinning after it (ONNX Runtime's
        # default) burnt a core the answer's other work needed (benchmarks/overhead.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        session = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        encoder = OnnxQueryEncoder(session, tokenizer, st_model.max_seq_length)
        gap = float(np.abs(encoder.embed(PROBE) - reference(PROBE)).max())
        if gap > 1e-4:
            log.warning(
                "query embeddings on PyTorch: the ONNX export %s differs from PyTorch by %.2g "
                "(over 1e-4); delete it to export again",
                target,
                gap,
            )
            return None
        return encoder
    except Exception:  # any export or runtime problem: stay on the PyTorch path
        log.warning("query embeddings on PyTorch: the ONNX encoder failed to load", exc_info=True)
        return None
