"""Passage vectors for one ingest, with no text embedded twice.

A text gets its vector, in this order, from: the vector already stored for it (an edited
article's unchanged passages), a text met earlier in this ingest (the same passage or head
in two articles), or the model, which sees each remaining distinct text once.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import numpy as np

from assistant.ports import Embedder

# Vectors kept for texts met earlier in the ingest: ~1.6 KB each, so ~26 MB; it holds every
# passage of an ingest up to ~3,300 articles, and the most recent ones beyond.
MEMO_SIZE = 16_384
_UNIT_LENGTH = (0.98, 1.02)  # as `assistant check`: a stored vector outside it is re-embedded


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def usable(vector: np.ndarray, dimension: int) -> bool:
    """A stored vector worth reusing: the right size, finite and unit length."""
    v = np.asarray(vector, dtype=np.float64)
    if v.shape != (dimension,) or not np.isfinite(v).all():
        return False
    return _UNIT_LENGTH[0] <= math.sqrt(float(v @ v)) <= _UNIT_LENGTH[1]


class EmbedOnce:
    def __init__(self, embedder: Embedder, dimension: int, memo_size: int = MEMO_SIZE):
        self.embedder = embedder
        self.dimension = dimension
        self.embedded = 0  # texts the model embedded
        self.reused = 0  # texts that got a stored or earlier vector instead
        self._memo: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._memo_size = memo_size

    def vectors(self, texts: Sequence[str], stored: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """One vector per text, in order. ``stored``: text -> the vector the index already holds for it."""
        for text, vector in (stored or {}).items():
            if usable(vector, self.dimension):
                self._remember(_key(text), np.asarray(vector, dtype=np.float32))
        keys = [_key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts):
            if key in found or key in missing:
                continue
            known = self._memo.get(key)
            if known is None:
                missing[key] = text
            else:
                self._memo.move_to_end(key)
                found[key] = known
        if missing:
            for key, vector in zip(missing, self.embedder.embed(list(missing.values()))):
                found[key] = vector
                self._remember(key, vector)
        self.embedded += len(missing)
        self.reused += len(texts) - len(missing)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def _remember(self, key: bytes, vector: np.ndarray) -> None:
        self._memo[key] = vector
        self._memo.move_to_end(key)
        while len(self._memo) > self._memo_size:
            self._memo.popitem(last=False)
