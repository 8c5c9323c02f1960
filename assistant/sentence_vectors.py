"""Embeddings of quoted sentences, kept by text across questions: the same articles come back
question after question, and embedding a sentence costs far more than looking it up."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from assistant.ports import Embedder


class SentenceVectors:
    """The most recent ``size`` sentence vectors, least recently used out first. Thread-safe."""

    def __init__(self, embedder: Embedder, size: int = 20_000):
        self._embedder = embedder
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, texts: Sequence[str]) -> list[np.ndarray]:
        """One vector per text, embedding only those not kept. The vectors this call needs are
        held locally, so evicting them (a full cache, or more texts than it holds) cannot lose one."""
        wanted: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                vec = self._vectors.get(text)
                if vec is not None:
                    self._vectors.move_to_end(text)
                    wanted[text] = vec
        missing = [t for t in dict.fromkeys(texts) if t not in wanted]
        if missing:
            vectors = self._embedder.embed(missing)
            with self._lock:
                for text, vec in zip(missing, vectors):
                    wanted[text] = vec
                    self._vectors[text] = vec
                    self._vectors.move_to_end(text)
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        return [wanted[t] for t in texts]
