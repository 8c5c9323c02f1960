"""BM25 keyword search beside the vectors (bm25s), kept in step with the store.

The index is derived data: it is rebuilt from the passages in Chroma whenever the
store's revision changes (another process may have ingested), and cached on disk
per revision so a cold process loads it instead of rebuilding it.
"""

from __future__ import annotations

import pickle
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import bm25s
import numpy as np

from assistant.filters import FilterColumns
from assistant.models import SearchFilters
from assistant.terms import analyze

if TYPE_CHECKING:
    from assistant.store import DigestStore

# Bump when KeywordIndex's fields or analysis change, so caches written by older code are rebuilt.
CACHE_FORMAT = 3


@dataclass
class KeywordIndex:
    revision: str
    passage_ids: list[str]
    columns: FilterColumns
    bm25: bm25s.BM25 | None
    doc_freq: dict[str, int]
    article_terms: dict[str, frozenset[str]]

    @classmethod
    def build(cls, revision: str, ids: list[str], texts: list[str], metadatas: list[dict]) -> KeywordIndex:
        tokens = [analyze(t) or ["∅"] for t in texts]  # bm25s needs no empty documents
        bm25 = None
        if tokens:
            bm25 = bm25s.BM25()
            bm25.index(tokens, show_progress=False)
        doc_freq: dict[str, int] = {}
        article_terms: dict[str, set[str]] = {}
        for doc, meta in zip(tokens, metadatas):
            terms = set(doc)
            for term in terms:
                doc_freq[term] = doc_freq.get(term, 0) + 1
            article_terms.setdefault(meta["article_id"], set()).update(terms)
        frozen = {k: frozenset(v) for k, v in article_terms.items()}
        return cls(revision, ids, FilterColumns(metadatas), bm25, doc_freq, frozen)

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[tuple[str, float]]:
        terms = analyze(query)
        if self.bm25 is None or not terms:
            return []
        mask = self.columns.mask(filters)
        if mask is not None and not mask.any():
            return []
        k = min(k, len(self.passage_ids))
        docs, scores = self.bm25.retrieve(
            [terms],
            k=k,
            show_progress=False,
            n_threads=0,
            weight_mask=None if mask is None else mask.astype(np.float32),
        )
        return [(self.passage_ids[d], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def coverage(self, query_terms: list[str], terms: frozenset[str]) -> float:
        """Share of the query's IDF-weighted words found in ``terms`` (0..1)."""
        weights = {t: self.idf(t) for t in set(query_terms)}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in terms) / total if total else 0.0

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stem, for weighting words when scoring sentences."""
        n = max(len(self.passage_ids), 1)
        return float(np.log(1 + (n - self.doc_freq.get(term, 0) + 0.5) / (self.doc_freq.get(term, 0) + 0.5)))


class KeywordCache:
    """Hands out the keyword index for the store's current revision, thread-safely."""

    def __init__(self, store: DigestStore, folder: Path, refresh_seconds: float):
        self._store = store
        self._file = folder / f"{store.name}.pkl"
        self._refresh = refresh_seconds
        self._lock = threading.Lock()
        self._index: KeywordIndex | None = None
        self._checked = 0.0

    def get(self) -> KeywordIndex:
        with self._lock:
            now = time.monotonic()
            if self._index is not None and now - self._checked < self._refresh:
                return self._index
            revision = self._store.revision()
            self._checked = now
            if self._index is None or self._index.revision != revision:
                self._index = self._load(revision) or self._rebuild(revision)
            return self._index

    def invalidate(self) -> None:
        with self._lock:
            self._checked = 0.0

    def rebuild(self) -> KeywordIndex:
        """Build the index from the store now and save it (``assistant check --repair``)."""
        with self._lock:
            self._index = self._rebuild(self._store.revision())
            self._checked = time.monotonic()
            return self._index

    def saved(self) -> KeywordIndex | None:
        """The index saved on disk, whatever its revision; None when there is none this code reads."""
        try:
            with self._file.open("rb") as fh:
                cache_format, index = pickle.load(fh)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError, TypeError):
            return None
        return index if cache_format == CACHE_FORMAT and isinstance(index, KeywordIndex) else None

    def _load(self, revision: str) -> KeywordIndex | None:
        index = self.saved()
        if index is None or index.revision != revision:
            return None
        # Checked against the store too: a writer that failed after writing passages but before
        # marking the store dirty (Chroma's own compaction on a full disk) leaves the revision alone.
        if len(index.passage_ids) != self._store.count_passages():
            return None
        return index

    def _rebuild(self, revision: str) -> KeywordIndex:
        ids, texts, metadatas = self._store.all_passages()
        index = KeywordIndex.build(revision, ids, texts, metadatas)
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._file.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                pickle.dump((CACHE_FORMAT, index), fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(self._file)  # atomic, so a reader never sees half a file
        except OSError:
            pass  # the cache is an optimisation; the index in memory is still right
        return index
