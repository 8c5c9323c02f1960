"""Where the benchmark's passage vectors come from.

The embedding model is the one cost that does not depend on the store or the pipeline: it
runs at about 40 passages/s on 2 cores, so a 100,000-article corpus (490,000 passages)
would take 3.4 hours to embed. The benchmark therefore embeds for real only up to a size
(``--embed-up-to``, 5,000 articles by default) and measures bigger corpora with *pooled*
vectors: each passage gets the real MiniLM vector of a sample passage, picked by the hash
of its text, moved by a little noise so no two are equal. Questions are always embedded by
the real model. What is measured at those sizes is everything but document embedding: the
store's writes, its index, search, answering, memory and disk; the report says so.

``Recorded`` keeps the vectors one system computed so the next system in the same run gets
the same vectors without embedding again (the Chroma server run reuses the embedded run's).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

NOISE = 0.04  # per dimension: the pooled vector keeps a cosine of about 0.8 with its sample passage


class Vectors(Protocol):
    """What the ingest path and the plain pipeline call: ``Embedder.embed`` and ``embed_query``."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class Timed:
    """Counts the texts embedded and the seconds spent inside ``embed`` (the model's share of an ingest)."""

    def __init__(self, inner: Vectors):
        self.inner = inner
        self.seconds = 0.0
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        t = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - t
            self.texts += len(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


class Recorded:
    """The real model, keeping every passage vector it makes (``save``), or replaying saved
    ones (``load``): a text seen before costs a lookup, a new one goes to the model."""

    def __init__(self, model: Vectors, vectors: dict[bytes, np.ndarray] | None = None):
        self.model = model
        self.vectors: dict[bytes, np.ndarray] = dict(vectors or {})
        self.replayed = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [_key(t) for t in texts]
        missing: dict[bytes, int] = {}  # a text repeated within the call is embedded once
        for i, k in enumerate(keys):
            if k not in self.vectors:
                missing.setdefault(k, i)
        if missing:
            fresh = self.model.embed([texts[i] for i in missing.values()])
            for k, vector in zip(missing, fresh):
                self.vectors[k] = vector
        self.replayed += len(texts) - len(missing)
        if not texts:
            return self.model.embed([])
        return np.stack([self.vectors[k] for k in keys])

    def embed_query(self, text: str) -> np.ndarray:
        return self.model.embed_query(text)

    def save(self, path: Path) -> None:
        keys = list(self.vectors)
        np.savez(
            path,
            keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 20),
            vectors=np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, 0), np.float32),
        )

    @classmethod
    def load(cls, model: Vectors, path: Path) -> Recorded:
        with np.load(path) as data:
            vectors = {bytes(k): v for k, v in zip(data["keys"], data["vectors"])}
        return cls(model, vectors)


class Pooled:
    """Real question vectors; passage vectors drawn from a pool of real sample-passage vectors.

    Deterministic: the same text always gets the same vector, in any process."""

    def __init__(self, model: Vectors, pool_texts: Sequence[str], noise: float = NOISE):
        if not pool_texts:
            raise ValueError("the vector pool needs at least one text")
        self.model = model
        self.pool = model.embed(list(pool_texts))
        self.noise = noise

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.pool.shape[1]), dtype=np.float32)
        for row, text in enumerate(texts):
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            base = self.pool[int.from_bytes(digest[:4], "little") % len(self.pool)]
            rng = np.random.default_rng(int.from_bytes(digest[4:12], "little"))
            v = base + rng.normal(0.0, self.noise, size=base.shape)
            out[row] = v / np.linalg.norm(v)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.model.embed_query(text)


def sample_passages() -> list[str]:
    """The embedding texts of the bundled sample's passages: the pool for ``Pooled``."""
    from evals.synthetic import sample_articles
    from index.passages import embedding_text, split_article

    return [embedding_text(a, p) for a in sample_articles() for p in split_article(a)]
