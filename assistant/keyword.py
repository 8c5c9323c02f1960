"""BM25 keyword search beside the vectors (bm25s), kept in step with the store.

The index is derived data: it is rebuilt from the passages in Chroma whenever the store's
revision changes (another process may have ingested), and saved on disk per revision so a cold
process loads it instead of rebuilding it. It is saved as bm25s's own format plus plain numpy
arrays (no pickle: it survives library upgrades) and loaded memory-mapped, so opening it costs
milliseconds at any size and the pages a query touches are read on demand.

Saved layout, under ``<keyword_dir>/<collection>/``: one folder per build holding bm25s's files,
the ``.npy`` columns and ``index.json`` (format, revision, counts, the string keys), and a file
``current`` naming the folder readers should open. A new build is written beside the old one and
``current`` is replaced atomically; a reader that still maps the old files keeps valid pages.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, overload

import bm25s
import numpy as np

from assistant.filters import FilterColumns
from assistant.models import SearchFilters
from assistant.passage_vectors import PassageVectors
from assistant.terms import analyze
from assistant.text_column import TextColumn

if TYPE_CHECKING:
    from assistant.store import DigestStore

# Bump when the saved files or the analysis change, so indexes written by older code are rebuilt.
CACHE_FORMAT = 5  # 5: with the passages' vectors, texts and kinds, and the articles
_EMPTY_DOC = "∅"  # bm25s needs no empty documents
_KEEP_OLD_BUILDS_SECONDS = 60


class PassageIds:
    """Passage ids as two int arrays: ids are ``<article id>#<seq>`` (index/passages.py), so an
    article code and a sequence number hold one without storing strings per passage."""

    def __init__(self, articles: list[str], article: np.ndarray, seq: np.ndarray):
        self._articles, self._article, self.seq = articles, article, seq

    @classmethod
    def build(cls, ids: list[str], columns: FilterColumns) -> PassageIds:
        seqs = []
        for pid, code in zip(ids, columns.arrays["article"]):
            article_id, _, seq = pid.rpartition("#")
            if article_id != columns.keys["article"][code]:
                raise ValueError(f"passage id {pid!r} is not '<article id>#<number>'")
            seqs.append(int(seq))
        return cls(columns.keys["article"], columns.arrays["article"], np.array(seqs, dtype=np.int32))

    def __len__(self) -> int:
        return len(self.seq)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return f"{self._articles[self._article[i]]}#{self.seq[i]}"

    def row(self, passage_id: str, columns: FilterColumns) -> int | None:
        """The row of a passage id (None: not in this build). A scan of one int column: used only
        for the few ids Chroma's HNSW returns."""
        article_id, _, seq = passage_id.rpartition("#")
        code = columns.code("article", article_id)
        if code is None or not seq.isdigit():
            return None
        rows = np.flatnonzero((self._article == code) & (self.seq == int(seq)))
        return int(rows[0]) if len(rows) else None

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))


class DocFreq:
    """term -> how many passages hold it, read from the BM25 matrix (one column per term)."""

    def __init__(self, vocab: dict[str, int], indptr: np.ndarray):
        self._vocab, self._indptr = vocab, indptr

    def get(self, term: str, default: int = 0) -> int:
        t = self._vocab.get(term)
        if t is None or t + 1 >= len(self._indptr):
            return default
        return int(self._indptr[t + 1] - self._indptr[t])


class ArticleTerms:
    """article id -> the set of terms its passages use, from a CSR of term ids per article."""

    def __init__(self, columns: FilterColumns, vocab: dict[str, int], ptr: np.ndarray, term_ids: np.ndarray):
        self._columns, self.ptr, self.term_ids = columns, ptr, term_ids  # article code -> its slice of term_ids
        self._vocab = vocab
        self._terms: list[str] | None = None

    @overload
    def get(self, article_id: str) -> frozenset[str] | None: ...
    @overload
    def get(self, article_id: str, default: frozenset[str]) -> frozenset[str]: ...
    def get(self, article_id: str, default: frozenset[str] | None = None) -> frozenset[str] | None:
        code = self._columns.code("article", article_id)
        if code is None:
            return default
        if self._terms is None:  # id -> term, built on first use
            self._terms = [""] * (max(self._vocab.values(), default=-1) + 1)
            for term, t in self._vocab.items():
                self._terms[t] = term
        # tolist: iterating a memmap goes through its Python __getitem__, ~3 µs an element
        ids = self.term_ids[self.ptr[code] : self.ptr[code + 1]].tolist()
        terms = self._terms
        return frozenset(terms[t] for t in ids)


@dataclass
class KeywordIndex:
    revision: str
    passage_ids: PassageIds
    columns: FilterColumns
    bm25: bm25s.BM25 | None
    doc_freq: DocFreq
    article_terms: ArticleTerms
    # A read-only copy of what search reads from the store, for this revision: the passages'
    # vectors, texts and kinds in row order, and each article's JSON by article code. Exact
    # search within a filter, and a one-shot process that never opens Chroma's vector index.
    # None when the build was given none.
    vectors: PassageVectors | None = None
    texts: TextColumn | None = None
    kinds: np.ndarray | None = None  # codes into ``columns.keys["kind"]``
    articles: TextColumn | None = None

    @classmethod
    def build(
        cls,
        revision: str,
        ids: list[str],
        texts: list[str],
        metadatas: list[dict],
        vectors: np.ndarray | None = None,
        articles: dict[str, str] | None = None,
    ) -> KeywordIndex:
        """``vectors``: each passage's, in order; ``articles``: article id -> its stored JSON."""
        tokens = [analyze(t) or [_EMPTY_DOC] for t in texts]
        columns = FilterColumns.build(metadatas)
        bm25 = None
        vocab: dict[str, int] = {}
        if tokens:
            bm25 = bm25s.BM25()
            bm25.index(tokens, show_progress=False)
            vocab = bm25.vocab_dict
        # Term ids per article: the distinct terms of all its passages.
        per_article: dict[int, set[int]] = {}
        for doc, code in zip(tokens, columns.arrays["article"]):
            per_article.setdefault(int(code), set()).update(vocab[t] for t in doc)
        n = len(columns.keys["article"])
        lists = [sorted(per_article.get(code, ())) for code in range(n)]
        term_ptr = np.concatenate([[0], np.cumsum([len(x) for x in lists], dtype=np.int64)]).astype(np.int64)
        term_ids = np.array([t for x in lists for t in x], dtype=np.int32)
        if vectors is not None and len(vectors) != len(ids):
            raise ValueError(f"{len(vectors)} vectors for {len(ids)} passages")
        index = cls.assemble(revision, columns, bm25, term_ptr, term_ids, PassageIds.build(ids, columns))
        if vectors is not None and articles is not None:
            kinds = [str(m.get("kind", "summary")) for m in metadatas]
            columns.keys["kind"] = sorted(set(kinds))
            code = {k: i for i, k in enumerate(columns.keys["kind"])}
            index.vectors = PassageVectors(np.ascontiguousarray(vectors, dtype=np.float32))
            index.texts = TextColumn.build(texts)
            index.kinds = np.array([code[k] for k in kinds], dtype=np.int8)
            index.articles = TextColumn.build([articles.get(a, "") for a in columns.keys["article"]])
        return index

    @classmethod
    def assemble(
        cls,
        revision: str,
        columns: FilterColumns,
        bm25: bm25s.BM25 | None,
        term_ptr: np.ndarray,
        term_ids: np.ndarray,
        passage_ids: PassageIds,
    ) -> KeywordIndex:
        vocab = bm25.vocab_dict if bm25 is not None else {}
        indptr = bm25.scores["indptr"] if bm25 is not None else np.zeros(1, dtype=np.int64)
        return cls(
            revision,
            passage_ids,
            columns,
            bm25,
            DocFreq(vocab, indptr),
            ArticleTerms(columns, vocab, term_ptr, term_ids),
        )

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[tuple[str, float]]:
        """(passage id, score) of BM25's best ``k`` passages within ``filters``."""
        return [(self.passage_ids[r], score) for r, score in self.search_rows(query, k, filters)]

    def search_rows(
        self, query: str, k: int, filters: SearchFilters | None = None, mask: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, score) of BM25's best ``k`` passages within ``filters`` (or an already computed
        ``mask`` of them)."""
        terms = analyze(query)
        if self.bm25 is None or not terms:
            return []
        if mask is None:
            mask = self.columns.mask(filters)
        if mask is not None and not mask.any():
            return []
        token_ids = self.bm25.get_tokens_ids(terms)
        if not token_ids or k <= 0:
            return []
        scores = self.bm25.get_scores_from_ids(token_ids)
        if mask is not None:
            scores = np.where(mask, scores, 0)
        # The top k among the passages that hold a query word, not over every passage: most
        # scores are 0, and numpy's argpartition (what bm25s's retrieve uses) slows ~10x on an
        # array of mostly equal values (16 ms a query at 20,000 articles).
        rows = np.flatnonzero(scores > 0)
        if len(rows) > k:
            rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return [(int(r), float(scores[r])) for r in rows]

    def nearest_rows(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None) -> list[tuple[int, float]] | None:
        """(row, cosine) of the ``k`` passages kept by ``mask`` (None: all) nearest to the vector,
        by exact search; None when this build holds no vectors (the caller asks Chroma instead)."""
        if self.vectors is None:
            return None
        return self.vectors.nearest(query_vector, k, np.ones(len(self.vectors), dtype=bool) if mask is None else mask)

    def nearest(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None) -> list[tuple[str, float]] | None:
        """As ``nearest_rows``, with passage ids."""
        rows = self.nearest_rows(query_vector, k, mask)
        return None if rows is None else [(self.passage_ids[r], cosine) for r, cosine in rows]

    def passage(self, row: int) -> tuple[str, str, np.ndarray] | None:
        """(text, kind, vector) of the passage in ``row``; None when this build holds no copy."""
        if self.texts is None or self.kinds is None or self.vectors is None:
            return None
        return self.texts[row], self.columns.keys["kind"][self.kinds[row]], self.vectors.matrix[row]

    def article_json(self, article_id: str) -> str | None:
        """The article's stored JSON; None when this build holds no copy or no such article."""
        code = None if self.articles is None else self.columns.code("article", article_id)
        if code is None or self.articles is None:
            return None
        return self.articles[code] or None

    def coverage(self, query_terms: list[str], terms: frozenset[str]) -> float:
        """Share of the query's IDF-weighted words found in ``terms`` (0..1)."""
        weights = {t: self.idf(t) for t in set(query_terms)}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in terms) / total if total else 0.0

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stem, for weighting words when scoring sentences."""
        n = max(len(self.passage_ids), 1)
        df = self.doc_freq.get(term, 0)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    # --- on disk --------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write this index into ``folder`` (which must not exist yet)."""
        folder.mkdir(parents=True)
        if self.bm25 is not None:
            self.bm25.save(str(folder / "bm25"), show_progress=False)
        arrays = {
            **{f"column.{k}": v for k, v in self.columns.arrays.items()},
            "passage.seq": self.passage_ids.seq,
            "article.term_ptr": self.article_terms.ptr,
            "article.term_ids": self.article_terms.term_ids,
        }
        if self.vectors is not None and self.texts is not None and self.kinds is not None and self.articles is not None:
            arrays.update(
                {
                    "passage.vectors": self.vectors.matrix,
                    "passage.text": self.texts.data,
                    "passage.text_ptr": self.texts.ptr,
                    "passage.kind": self.kinds,
                    "article.json": self.articles.data,
                    "article.json_ptr": self.articles.ptr,
                }
            )
        for name, array in arrays.items():
            np.save(folder / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        meta = {
            "format": CACHE_FORMAT,
            "revision": self.revision,
            "passages": len(self.passage_ids),
            "keys": self.columns.keys,
            "arrays": sorted(arrays),
        }
        (folder / "index.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        """The index saved in ``folder``, memory-mapped; None when it is not one this code reads."""
        try:
            meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
            if meta.get("format") != CACHE_FORMAT:
                return None
            arrays = {n: np.load(folder / f"{n}.npy", mmap_mode="r", allow_pickle=False) for n in meta["arrays"]}
            bm25 = None
            if meta["passages"]:
                bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        columns = FilterColumns(
            {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("column.")}, meta["keys"]
        )
        passage_ids = PassageIds(meta["keys"]["article"], columns.arrays["article"], arrays["passage.seq"])
        index = cls.assemble(
            str(meta["revision"]), columns, bm25, arrays["article.term_ptr"], arrays["article.term_ids"], passage_ids
        )
        if "passage.vectors" in arrays:
            try:
                index.vectors = PassageVectors(arrays["passage.vectors"])
                index.texts = TextColumn(arrays["passage.text"], arrays["passage.text_ptr"])
                index.kinds = arrays["passage.kind"]
                index.articles = TextColumn(arrays["article.json"], arrays["article.json_ptr"])
            except KeyError:
                return None  # a partial copy: rebuild
            if not len(index.vectors) == len(index.texts) == len(index.kinds) == meta["passages"]:
                return None
        return index if len(index.passage_ids) == meta["passages"] else None


class KeywordCache:
    """Hands out the keyword index for the store's current revision, thread-safely."""

    def __init__(self, store: DigestStore, folder: Path, refresh_seconds: float, count_check: bool = True):
        self._store = store
        self._count_check = count_check  # off for one-shot processes (RetrievalSettings.one_shot)
        self._folder = folder / store.name
        self._legacy = folder / f"{store.name}.pkl"  # what older versions saved: removed on save
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
            current = (self._folder / "current").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return KeywordIndex.load(self._folder / current) if current else None

    def _load(self, revision: str) -> KeywordIndex | None:
        index = self.saved()
        if index is None or index.revision != revision:
            return None
        # Checked against the store too: a writer that failed after writing passages but before
        # marking the store dirty (Chroma's own compaction on a full disk) leaves the revision alone.
        if self._count_check and len(index.passage_ids) != self._store.count_passages():
            return None
        return index

    def _rebuild(self, revision: str) -> KeywordIndex:
        ids, texts, metadatas, vectors = self._store.all_passages(vectors=True)
        index = KeywordIndex.build(revision, ids, texts, metadatas, vectors, self._store.article_documents())
        del vectors
        try:
            folder = self._save(index)
        except OSError:
            return index  # the saved copy is an optimisation; the index in memory is still right
        # Served from the saved files: memory-mapped pages are shared with other processes and
        # are not this process's own memory (the vectors alone are ~750 MB at 100,000 articles).
        return KeywordIndex.load(folder) or index

    def _save(self, index: KeywordIndex) -> Path:
        name = f"build-{uuid.uuid4().hex[:12]}"
        index.save(self._folder / name)
        pointer = self._folder / f"current.{os.getpid()}.tmp"
        pointer.write_text(name, encoding="utf-8")
        pointer.replace(self._folder / "current")  # atomic: readers see the old build or the new
        # Earlier builds go once they are a minute old (one being written by another process
        # right now is younger); a process that still maps one keeps valid pages after the unlink.
        for old in self._folder.iterdir():
            if old.is_dir() and old.name != name and time.time() - old.stat().st_mtime > _KEEP_OLD_BUILDS_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        self._legacy.unlink(missing_ok=True)
        return self._folder / name
