"""Chroma access: the articles (catalog), their passages (vectors) and a revision stamp.

Three collections share a prefix:
- ``<name>-articles``: one record per article; the document is the Article as JSON,
  the vector is its head passage, the metadata holds the content hash and filter fields;
- ``<name>-passages``: the retrieval units, with the same filter fields;
- ``<name>-state``: one record whose ``revision`` changes on every write, so other
  processes know when to refresh derived data (the keyword index).
"""

from __future__ import annotations

import errno
import os
import shutil
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

import assistant.offline  # noqa: F401
from assistant.embedding import MODEL_ID
from assistant.errors import EmbeddingModelMismatch, IndexInUse, StoreFull, StoreUnavailable
from assistant.faults import fault_point
from assistant.filters import filter_metadata
from assistant.models import Article, Passage
from assistant.nodes import node_fields
from assistant.settings import Settings

_WRITE_BATCH = 1000
_NEARLY_FULL_BYTES = 4 * 1024 * 1024  # less free space than one write batch needs
_READ_PAGE = 5000
# 2: passages carry the fields plain LlamaIndex reads (assistant/nodes.py) and the article's
# passage count is recorded. `upgrade` brings a layout-1 index there without re-embedding.
LAYOUT = 2
_CONFIGURATION: Any = {"hnsw": {"space": "cosine"}}


class DigestStore:
    def __init__(self, settings: Settings, model_id: str, dimension: int):
        import chromadb

        from assistant.chroma_embedding import MiniLMEmbeddingFunction

        self.name = settings.storage.collection
        self.model_id, self.dimension = model_id, dimension  # checked against the collections below
        self.location = self._describe(settings)
        self._folder_lock: _FolderLock | None = None
        self._folder: Path | None = None if settings.storage.chroma_host else settings.storage.chroma_dir
        # Chroma's result types make every field optional; we read only what we asked to include.
        self._client: Any
        self._articles: Any
        self._passages: Any
        self._state: Any
        try:
            if settings.storage.chroma_host:
                self._client = chromadb.HttpClient(
                    host=settings.storage.chroma_host,
                    port=settings.storage.chroma_port,
                    ssl=settings.storage.chroma_ssl,
                    settings=chromadb.Settings(anonymized_telemetry=False),
                )
                self._client.heartbeat()
            else:
                self._folder_lock = _FolderLock.acquire(settings.storage.chroma_dir)
                self._client = chromadb.PersistentClient(
                    path=str(settings.storage.chroma_dir), settings=chromadb.Settings(anonymized_telemetry=False)
                )
            # New collections record the space in their configuration and the embedding function
            # a plain Chroma client can query by text with (assistant/chroma_embedding.py). An
            # existing collection keeps what it was created with: get_or_create ignores these.
            ef = MiniLMEmbeddingFunction() if model_id == MODEL_ID else None
            kinds = {"embedding_model": model_id, "dimension": dimension, "layout": LAYOUT}
            self._articles, self._passages = (
                self._client.get_or_create_collection(
                    f"{self.name}-{kind}", embedding_function=ef, configuration=_CONFIGURATION, metadata=kinds
                )
                for kind in ("articles", "passages")
            )
            self._state = self._client.get_or_create_collection(f"{self.name}-state", embedding_function=None)
        except StoreUnavailable:
            raise
        except Exception as exc:  # chromadb raises many types for "cannot reach/open"
            self.close()
            raise StoreUnavailable(f"Cannot open the index at {self.location}: {_reason(exc)}") from exc
        for collection in (self._articles, self._passages):
            stored = (collection.metadata or {}).get("embedding_model")
            if stored != model_id:
                self.close()
                raise EmbeddingModelMismatch(str(stored), model_id)

    @property
    def layout(self) -> int:
        """What the index was written as (``LAYOUT``); 1 for indexes written before layouts."""
        return int((self._passages.metadata or {}).get("layout", 1))

    def upgrade(self) -> int:
        """Bring a layout-1 index to ``LAYOUT`` without re-embedding: add the LlamaIndex fields
        and the passage counts, and record the embedding function. Returns the passages updated."""
        if self.layout >= LAYOUT:
            return 0
        from assistant.chroma_embedding import MiniLMEmbeddingFunction

        updated = 0
        with self.guard():
            for ids, docs, metas in self._pages(self._articles, include=["documents", "metadatas"]):
                articles = {}
                for article_id, doc in zip(ids, docs):
                    try:
                        articles[article_id] = Article.model_validate_json(doc)
                    except ValueError:
                        continue  # left as it is: `assistant check` names it
                got = self._passages.get(where={"article_id": {"$in": ids}}, include=["metadatas"])
                p_ids, p_meta, counts = [], [], dict.fromkeys(ids, 0)
                for pid, meta in zip(got["ids"], got["metadatas"]):
                    article_id = str(meta.get("article_id"))
                    if article_id not in articles:
                        continue
                    p_ids.append(pid)
                    p_meta.append(node_fields(articles[article_id], pid))
                    counts[article_id] += 1
                for start in range(0, len(p_ids), _WRITE_BATCH):
                    end = start + _WRITE_BATCH
                    self._passages.update(ids=p_ids[start:end], metadatas=p_meta[start:end])
                self._articles.update(ids=ids, metadatas=[{**m, "passages": counts[i]} for i, m in zip(ids, metas)])
                updated += len(p_ids)
            for collection in (self._articles, self._passages):
                if self.model_id == MODEL_ID:
                    collection.modify(configuration={"embedding_function": MiniLMEmbeddingFunction()})
                # Chroma refuses a metadata update that names the space (even unchanged); the
                # space lives on in the collection's configuration.
                kept = {k: v for k, v in (collection.metadata or {}).items() if not k.startswith("hnsw:")}
                collection.modify(metadata={**kept, "layout": LAYOUT})
        return updated

    @staticmethod
    def _describe(settings: Settings) -> str:
        if settings.storage.chroma_host:
            scheme = "https" if settings.storage.chroma_ssl else "http"
            return f"Chroma server {scheme}://{settings.storage.chroma_host}:{settings.storage.chroma_port}"
        return str(settings.storage.chroma_dir)

    def close(self) -> None:
        if self._folder_lock is not None:
            self._folder_lock.release()
            self._folder_lock = None

    # --- revision ---------------------------------------------------------------
    # A writer marks the store dirty before its first write and clears the mark with the bump.
    # If it dies in between (a crash, a full disk), the mark stays, so the revision readers see
    # is not the one their derived data was built for, and the next ingest bumps even when it
    # finds nothing to change.
    def revision(self) -> str:
        got = self._state.get(ids=["revision", "dirty"], include=["metadatas"])
        values = {i: str(m["value"]) for i, m in zip(got["ids"], got["metadatas"])}
        revision = values.get("revision", "empty")
        return f"{revision}+dirty-{values['dirty']}" if "dirty" in values else revision

    def mark_dirty(self) -> None:
        with self.guard():
            self._state.upsert(ids=["dirty"], embeddings=[[1.0]], metadatas=[{"value": uuid.uuid4().hex}])

    def is_dirty(self) -> bool:
        return bool(self._state.get(ids=["dirty"])["ids"])

    def bump_revision(self) -> None:
        with self.guard():
            self._state.upsert(ids=["revision"], embeddings=[[1.0]], metadatas=[{"value": uuid.uuid4().hex}])
            self._state.delete(ids=["dirty"])

    @contextmanager
    def guard(self) -> Iterator[None]:
        """A full disk becomes ``StoreFull`` (a one-line answer, not a traceback). Chroma says
        so in different ways ("database or disk is full", or only "Error in compaction"), so a
        failure on a folder with almost no space left counts too. The write path runs inside it."""
        try:
            yield
        except StoreFull:
            raise
        except Exception as exc:
            if _disk_full(exc) or _nearly_full(self._folder):
                raise StoreFull(self.location) from exc
            raise

    # --- articles ---------------------------------------------------------------
    def count_articles(self) -> int:
        return self._articles.count()

    def count_passages(self) -> int:
        return self._passages.count()

    def article_index(self) -> dict[str, tuple[str, str]]:
        """article id -> (content hash, source), for skipping unchanged input."""
        out: dict[str, tuple[str, str]] = {}
        for ids, metas in self.article_metadata():
            for article_id, meta in zip(ids, metas):
                out[article_id] = (str(meta.get("hash", "")), str(meta.get("source", "")))
        return out

    def get_articles(self, ids: Sequence[str]) -> list[Article]:
        """Articles in the order asked; unknown ids are left out."""
        if not ids:
            return []
        got = self._articles.get(ids=list(ids), include=["documents"])
        by_id = {i: Article.model_validate_json(doc) for i, doc in zip(got["ids"], got["documents"])}
        return [by_id[i] for i in ids if i in by_id]

    def article_documents(self) -> dict[str, str]:
        """article id -> the article as stored (JSON), for every article."""
        out: dict[str, str] = {}
        for ids, docs in self._pages(self._articles, include=["documents"]):
            out.update(zip(ids, docs))
        return out

    def all_articles(self) -> list[Article]:
        articles: list[Article] = []
        for _, docs in self._pages(self._articles, include=["documents"]):
            articles.extend(Article.model_validate_json(d) for d in docs)
        return articles

    def write_articles(
        self,
        items: Sequence[tuple[Article, str, list[Passage], np.ndarray]],
    ) -> None:
        """Replace each article and all its passages. ``items``: (article, content hash,
        passages, passage vectors) where the first passage is the head."""
        if not items:
            return
        with self.guard():
            self._write_articles(items)

    def _write_articles(self, items: Sequence[tuple[Article, str, list[Passage], np.ndarray]]) -> None:
        ids = [a.id for a, _, _, _ in items]
        self._delete_passages(ids)
        p_ids, p_vecs, p_docs, p_meta = [], [], [], []
        a_vecs, a_docs, a_meta = [], [], []
        for article, content_hash, passages, vectors in items:
            base = filter_metadata(article)
            for passage, vec in zip(passages, vectors):
                p_ids.append(passage.id)
                p_vecs.append(vec.tolist())
                p_docs.append(passage.text)
                p_meta.append({**base, **node_fields(article, passage.id), "seq": passage.seq, "kind": passage.kind})
            a_vecs.append(vectors[0].tolist())
            a_docs.append(article.model_dump_json())
            # "passages": how many it has, so `assistant check` can tell a passage lost from none written.
            meta = {**base, "hash": content_hash, "source": article.source, "title": article.title}
            a_meta.append({**meta, "passages": len(passages)})
        _write_batched(self._passages.add, p_ids, p_vecs, p_docs, p_meta)
        fault_point("ingest-after-passages")
        # The article record (with its hash) goes last: if a write dies half-way,
        # the stale hash makes the next ingest redo this article.
        _write_batched(self._articles.upsert, ids, a_vecs, a_docs, a_meta)

    def delete_articles(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self.guard():
            self._delete_passages(ids)
            for chunk in _chunks(list(ids), _WRITE_BATCH):
                self._articles.delete(ids=chunk)

    def _delete_passages(self, article_ids: Sequence[str]) -> None:
        for chunk in _chunks(list(article_ids), _WRITE_BATCH):
            self._passages.delete(where={"article_id": {"$in": chunk}})

    def article_records(self) -> Iterable[tuple[list[str], list[str], list[dict[str, Any]]]]:
        """Pages of (ids, article JSON, metadata), for the integrity check."""
        yield from self._pages(self._articles, include=["documents", "metadatas"])

    def article_metadata(self) -> Iterable[tuple[list[str], list[dict[str, Any]]]]:
        """Pages of (ids, metadata): hashes, sources and passage counts, without the articles."""
        yield from self._pages(self._articles, include=["metadatas"])

    def mark_stale(self, article_ids: Sequence[str]) -> None:
        """Forget these articles' content hashes, so the next ingest of their sources writes
        them again (the repair for passages that were lost: only an ingest embeds)."""
        if not article_ids:
            return
        with self.guard():
            for chunk in _chunks(list(article_ids), _WRITE_BATCH):  # Chroma merges updated metadata
                self._articles.update(ids=chunk, metadatas=[{"hash": "stale"}] * len(chunk))

    # --- passages ---------------------------------------------------------------
    def passage_records(self, vectors: bool = False) -> Iterable[tuple]:
        """Pages of (ids, metadata) or, with ``vectors``, (ids, metadata, vectors)."""
        yield from self._pages(self._passages, include=["metadatas", "embeddings"] if vectors else ["metadatas"])

    def delete_passages(self, ids: Sequence[str]) -> None:
        with self.guard():
            for chunk in _chunks(list(ids), _WRITE_BATCH):
                self._passages.delete(ids=chunk)

    def set_passage_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        """Update passages' metadata (filter fields) without touching their text or vectors.
        Chroma merges: a key given as None is removed."""
        with self.guard():
            for start in range(0, len(ids), _WRITE_BATCH):
                end = start + _WRITE_BATCH
                self._passages.update(ids=list(ids[start:end]), metadatas=list(metadatas[start:end]))

    @overload
    def all_passages(self) -> tuple[list[str], list[str], list[dict[str, Any]]]: ...
    @overload
    def all_passages(self, vectors: Literal[True]) -> tuple[list[str], list[str], list[dict[str, Any]], np.ndarray]: ...
    def all_passages(self, vectors: bool = False) -> tuple:
        """Every passage's id, text and metadata (and, with ``vectors``, its vector as a row of one
        float32 matrix), in the same order."""
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        matrices: list[np.ndarray] = []
        include = ["documents", "metadatas", "embeddings"] if vectors else ["documents", "metadatas"]
        for page_ids, page_docs, page_metas, *page_vectors in self._pages(self._passages, include=include):
            ids += page_ids
            docs += page_docs
            metas += page_metas
            if vectors:
                matrices.append(np.asarray(page_vectors[0], dtype=np.float32).reshape(len(page_ids), -1))
        if not vectors:
            return ids, docs, metas
        matrix = np.concatenate(matrices) if matrices else np.zeros((0, self.dimension), dtype=np.float32)
        return ids, docs, metas, matrix

    def nearest_passages(self, vector: np.ndarray, k: int, where: dict[str, Any] | None) -> list[tuple[str, float]]:
        """(passage id, cosine similarity) of the ``k`` nearest passages. Only distances are
        fetched (~2 ms against ~8 ms with texts); callers read texts for the few they keep."""
        # Chroma 1.x returns fewer results when the collection is smaller than k: no count() needed.
        got = self._passages.query(query_embeddings=[vector.tolist()], n_results=k, where=where, include=["distances"])
        # The collections use cosine space, where Chroma's distance is 1 - cosine.
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0])]

    def passages(self, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any], np.ndarray]]:
        """id -> (text, metadata, vector) for the given passages."""
        if not ids:
            return {}
        got = self._passages.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        return {
            i: (doc, meta, np.asarray(vec, dtype=np.float32))
            for i, doc, meta, vec in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
        }

    @staticmethod
    def _pages(collection, include: list[str]) -> Iterable[tuple]:
        offset = 0
        while True:
            got = collection.get(include=include, limit=_READ_PAGE, offset=offset)
            if not got["ids"]:
                return
            yield (got["ids"], *(got[key] for key in include))
            offset += len(got["ids"])


def _write_batched(write, ids: list, embeddings: list, documents: list, metadatas: list) -> None:
    """Chroma caps the records per call: write in slices of ``_WRITE_BATCH``."""
    for start in range(0, len(ids), _WRITE_BATCH):
        end = start + _WRITE_BATCH
        write(
            ids=ids[start:end],
            embeddings=embeddings[start:end],
            documents=documents[start:end],
            metadatas=metadatas[start:end],
        )


def _chunks(seq: Sequence, size: int) -> Iterable[list]:
    seq = list(seq)
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def _disk_full(exc: BaseException) -> bool:
    """SQLite's "database or disk is full", an OSError ENOSPC, anywhere in the cause chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        text = str(seen).lower()
        if "disk is full" in text or "no space left" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _nearly_full(folder: Path | None) -> bool:
    if folder is None:
        return False  # a Chroma server's disk is not ours to measure
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "Connect" in type(exc).__name__ or "Could not connect" in text:
        return "connection refused or server not running"
    return text[:200]


class _FolderLock:
    """One process per PersistentClient folder: two can hang or corrupt it (seen on this project's machines).
    Holders inside one process share the lock; another process gets a clear refusal. The lock is
    the system's (flock on Linux and macOS, a Windows file lock on Windows, through filelock), so a process
    that dies, even by SIGKILL, leaves nothing held. Who holds it is written beside it, for the refusal."""

    _held: dict[Path, tuple[_FolderLock, int]] = {}
    _guard = threading.Lock()

    def __init__(self, path: Path, lock: Any):  # a filelock.FileLock
        self.path = path
        self._lock = lock

    @classmethod
    def acquire(cls, folder: Path) -> _FolderLock:
        from filelock import FileLock, Timeout  # on first use, like chromadb: a Chroma server needs no lock

        folder = folder.resolve()
        with cls._guard:
            if folder in cls._held:
                lock, count = cls._held[folder]
                cls._held[folder] = (lock, count + 1)
                return lock
            holder = folder / ".assistant.holder"
            # thread_local=False: the store may be closed by another thread than the one that opened it.
            file_lock = FileLock(str(folder / ".assistant.lock"), thread_local=False)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                file_lock.acquire(timeout=0)
            except Timeout:  # before OSError: filelock's Timeout is a TimeoutError
                try:
                    who = holder.read_text(encoding="utf-8").strip()
                except OSError:
                    who = ""
                raise IndexInUse(
                    f"The index folder {folder} is in use by {who or 'another process'}. Run every channel in one "
                    "process, or point them all at a Chroma server (ASSISTANT_CHROMA_HOST)."
                ) from None
            except OSError as exc:
                raise StoreUnavailable(f"Cannot open the index folder {folder}: {exc.strerror or exc}") from exc
            try:
                holder.write_text(f"pid {os.getpid()}", encoding="utf-8")
            except OSError:
                pass  # only the wording of another process's refusal needs it
            lock = cls(folder, file_lock)
            cls._held[folder] = (lock, 1)
            return lock

    def release(self) -> None:
        with self._guard:
            lock, count = self._held.get(self.path, (None, 0))
            if lock is not self:
                return
            if count > 1:
                self._held[self.path] = (lock, count - 1)
                return
            del self._held[self.path]
            self._lock.release()
