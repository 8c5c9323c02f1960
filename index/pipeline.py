"""The ingest pipeline: sources -> articles -> (only what changed) passages -> vectors -> store.

Content hashes make it idempotent: an unchanged article costs a hash comparison, an
edited one replaces its passages, and an article that vanished from a re-read source
(its title was edited, say) is removed, so nothing is duplicated or left stale.

Three stages overlap so the model, the one real cost, never waits: a thread reads and parses
sources ahead (``index.staging``), the calling thread embeds (onnxruntime releases the GIL),
and a one-thread executor writes the previous batch to the store. Both hand-offs are bounded,
so memory stays flat however big the input.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import SourceError
from assistant.faults import fault_point
from assistant.models import Article, IngestReport, Passage, SourceFailure
from assistant.ports import Embedder, Progress
from assistant.settings import Settings
from assistant.store import DigestStore
from index.embed_once import EmbedOnce
from index.parse import parse_document
from index.passages import embedding_text, passage_embedding_text, split_article
from index.sources import read_sources
from index.staging import Prefetched

log = logging.getLogger(__name__)
SAMPLE_DIR = Path(__file__).parent / "sample"
ARTICLES_PER_BATCH = 32  # embedded together (sorted by length), then written together
_SOURCES_AHEAD = 2  # parsed sources waiting for the model
_WRITES_AHEAD = 2  # embedded batches waiting for the store


class _NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


class _LateProgress:
    """The caller's Progress, started once the total is known (when the last source is
    parsed, while embedding is well under way); advances before that are held, then passed on.
    The writer thread advances it, the embedding thread starts it: hence the lock."""

    def __init__(self, inner: Progress):
        self._inner, self._lock = inner, Lock()
        self._held: int | None = 0

    def start(self, total: int) -> None:
        with self._lock:
            self._inner.start(total)
            if self._held:
                self._inner.advance(self._held)
            self._held = None

    def advance(self, n: int = 1) -> None:
        with self._lock:
            if self._held is None:
                self._inner.advance(n)
            else:
                self._held += n


@dataclass
class _Known:
    content_hash: str
    source: str
    title: str
    passages: int


@dataclass
class _Parsed:
    seen: set[str] = field(default_factory=set)
    ids_by_source: dict[str, set[str]] = field(default_factory=dict)
    errors: list[SourceFailure] = field(default_factory=list)


if TYPE_CHECKING:
    from assistant.facade import Assistant


def ingest(
    assistant: Assistant, sources: Sequence[str] | None = None, progress: Progress | None = None
) -> IngestReport:
    """Index paths, folders and URLs (the bundled sample digest when none are given) into the
    assistant's store, then have it rebuild what derives from the index (the keyword index)."""
    with assistant.store.guard():  # a full disk is one line, whichever step finds it
        assistant.store.upgrade()  # an index written by an older version, in place (once)
        report = run(sources, assistant.settings, assistant.store, assistant.embedder, progress)
        assistant.index_changed()
        # The quick integrity check: counts, revision and keyword index (`assistant check` does all).
        report.problems = [f.problem for f in assistant.check(full=False).findings if f.severity == "error"]
    return report


def run(
    specs: Sequence[str] | None,
    settings: Settings,
    store: DigestStore,
    embedder: Embedder,
    progress: Progress | None = None,
) -> IngestReport:
    """Read, parse and index ``specs`` (paths, folders, URLs); the bundled sample when empty."""
    shown = _LateProgress(progress or _NoProgress())
    report = IngestReport()
    known = _known(store)
    parsed = _Parsed()
    vectors = EmbedOnce(embedder, store.dimension)
    writes: deque[Future[None]] = deque()
    dirty = False

    def mark_dirty() -> None:
        nonlocal dirty
        if not dirty:  # cleared by the bump: a run that dies in between leaves it for the next
            store.mark_dirty()
            dirty = True

    def write(batch: list[tuple[Article, str]]) -> None:
        mark_dirty()
        items = _embed(batch, settings, store, known, vectors)
        while len(writes) >= _WRITES_AHEAD:
            writes.popleft().result()  # a failed write (a full disk) stops the ingest here
        writes.append(writer.submit(_write, store, items, shown))

    with (
        ThreadPoolExecutor(1, thread_name_prefix="ingest-write") as writer,
        Prefetched(
            _read_and_parse(list(specs) if specs else [str(SAMPLE_DIR)], settings, parsed),
            depth=_SOURCES_AHEAD,
            name="ingest-read",
        ) as sources,
    ):
        try:
            changed: list[tuple[Article, str]] = []
            for articles in sources:
                for article in articles:
                    content_hash = article.content_hash()
                    previous = known.get(article.id)
                    if previous is not None and previous.content_hash == content_hash:
                        report.unchanged += 1
                        shown.advance()
                        continue
                    if previous is None:
                        report.added += 1
                    else:
                        report.updated += 1
                    changed.append((article, content_hash))
                    if len(changed) == ARTICLES_PER_BATCH:
                        write(changed)
                        changed = []
            shown.start(report.added + report.updated + report.unchanged)
            if changed:
                write(changed)
            while writes:
                writes.popleft().result()
        finally:
            for pending in writes:
                pending.cancel()

    report.errors, report.failed = parsed.errors, len(parsed.errors)
    # Articles a source used to hold but no longer does (e.g. a retitled article, whose id changed).
    vanished = [
        article_id
        for article_id, before in known.items()
        if before.source in parsed.ids_by_source and article_id not in parsed.ids_by_source[before.source]
    ]
    report.removed = len(vanished)
    if vanished:
        mark_dirty()
    store.delete_articles(vanished)
    fault_point("ingest-before-revision-bump")
    if dirty or store.is_dirty():
        store.bump_revision()
    report.embedded, report.reused = vectors.embedded, vectors.reused
    if vectors.embedded:
        report.provider = getattr(embedder, "provider", None)
    report.articles_total = store.count_articles()
    return report


def _known(store: DigestStore) -> dict[str, _Known]:
    """What the index holds per article: hash and source (to skip unchanged input and find
    vanished articles), title and passage count (to find an edited article's stored vectors)."""
    out: dict[str, _Known] = {}
    for ids, metas in store.article_metadata():
        for article_id, meta in zip(ids, metas):
            out[article_id] = _Known(
                content_hash=str(meta.get("hash", "")),
                source=str(meta.get("source", "")),
                title=str(meta.get("title", "")),
                passages=int(meta.get("passages", 0) or 0),
            )
    return out


def _read_and_parse(specs: list[str], settings: Settings, parsed: _Parsed) -> Iterator[list[Article]]:
    """Each source's new articles, in order. Runs in the reading thread; a failed source is
    recorded in ``parsed.errors`` and never stops the others."""
    for item in read_sources(specs, settings):
        if isinstance(item, SourceError):
            parsed.errors.append(SourceFailure(source=item.source, error=item.reason))
            continue
        try:
            articles = parse_document(item)
        except SourceError as err:
            parsed.errors.append(SourceFailure(source=err.source, error=err.reason))
            continue
        except Exception as exc:  # a parser bug on one odd page must not abort the whole ingest
            log.warning("could not parse %s: %s: %s", item.name, type(exc).__name__, str(exc)[:200])
            parsed.errors.append(SourceFailure(source=item.name, error=f"could not be parsed ({type(exc).__name__})"))
            continue
        ids = parsed.ids_by_source.setdefault(item.name, set())
        fresh = []
        for position, article in enumerate(articles):
            article.position = position
            ids.add(article.id)
            # The same article read twice in one run (a page saved as text and as HTML) is one article.
            if article.id not in parsed.seen:
                parsed.seen.add(article.id)
                fresh.append(article)
        yield fresh


def _embed(
    batch: list[tuple[Article, str]],
    settings: Settings,
    store: DigestStore,
    known: dict[str, _Known],
    vectors: EmbedOnce,
) -> list[tuple[Article, str, list[Passage], np.ndarray]]:
    cut = [(article, h, split_article(article, settings.sources.passage_words)) for article, h in batch]
    texts = [embedding_text(article, p) for article, _, passages in cut for p in passages]
    found = vectors.vectors(texts, _stored_vectors(store, [a.id for a, _ in batch], known))
    items, offset = [], 0
    for article, content_hash, passages in cut:
        items.append((article, content_hash, passages, found[offset : offset + len(passages)]))
        offset += len(passages)
    return items


def _stored_vectors(store: DigestStore, article_ids: list[str], known: dict[str, _Known]) -> dict[str, np.ndarray]:
    """Embedding text -> stored vector, for the passages that edited articles hold now."""
    ids = [f"{i}#{seq}" for i in article_ids if i in known for seq in range(known[i].passages)]
    out: dict[str, np.ndarray] = {}
    for passage_id, (text, meta, vector) in store.passages(ids).items():
        article_id = passage_id.rsplit("#", 1)[0]
        out[passage_embedding_text(known[article_id].title, str(meta.get("kind", "")), text)] = vector
    return out


def _write(store: DigestStore, items: list[tuple[Article, str, list[Passage], np.ndarray]], progress: Progress) -> None:
    store.write_articles(items)
    progress.advance(len(items))
    fault_point("ingest-mid-batch")
