"""The ingest pipeline: sources -> articles -> (only what changed) passages -> vectors -> store.

Content hashes make it idempotent: an unchanged article costs a hash comparison, an
edited one replaces its passages, and an article that vanished from a re-read source
(its title was edited, say) is removed, so nothing is duplicated or left stale.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import SourceError
from assistant.faults import fault_point
from assistant.models import Article, IngestReport, SourceFailure
from assistant.ports import Embedder, Progress
from assistant.settings import Settings
from assistant.store import DigestStore
from index.parse import parse_document
from index.passages import embedding_text, split_article
from index.sources import read_sources

log = logging.getLogger(__name__)
SAMPLE_DIR = Path(__file__).parent / "sample"
_ARTICLES_PER_WRITE = 32


class _NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


@dataclass
class _Parsed:
    articles: dict[str, Article] = field(default_factory=dict)
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
    progress = progress or _NoProgress()
    parsed = _read_and_parse(list(specs) if specs else [str(SAMPLE_DIR)], settings)
    report = IngestReport(errors=parsed.errors, failed=len(parsed.errors))

    known = store.article_index()
    changed: list[tuple[Article, str]] = []
    for article in parsed.articles.values():
        content_hash = article.content_hash()
        previous = known.get(article.id)
        if previous is None:
            report.added += 1
            changed.append((article, content_hash))
        elif previous[0] != content_hash:
            report.updated += 1
            changed.append((article, content_hash))
        else:
            report.unchanged += 1

    # Articles a source used to hold but no longer does (e.g. a retitled article, whose id changed).
    vanished = [
        article_id
        for article_id, (_, source) in known.items()
        if source in parsed.ids_by_source and article_id not in parsed.ids_by_source[source]
    ]
    report.removed = len(vanished)

    progress.start(len(parsed.articles))
    progress.advance(report.unchanged)
    if changed or vanished:
        store.mark_dirty()  # cleared by the bump: a run that dies in between leaves it for the next
    for start in range(0, len(changed), _ARTICLES_PER_WRITE):
        batch = changed[start : start + _ARTICLES_PER_WRITE]
        store.write_articles(_embed(batch, settings, embedder))
        progress.advance(len(batch))
        fault_point("ingest-mid-batch")
    store.delete_articles(vanished)
    fault_point("ingest-before-revision-bump")
    if changed or vanished or store.is_dirty():
        store.bump_revision()
    report.articles_total = store.count_articles()
    return report


def _read_and_parse(specs: list[str], settings: Settings) -> _Parsed:
    parsed = _Parsed()
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
        for position, article in enumerate(articles):
            article.position = position
            ids.add(article.id)
            # The same article read twice in one run (a page saved as text and as HTML) is one article.
            parsed.articles.setdefault(article.id, article)
    return parsed


def _embed(batch: list[tuple[Article, str]], settings: Settings, embedder: Embedder):
    cut = [(article, h, split_article(article, settings.sources.passage_words)) for article, h in batch]
    texts = [embedding_text(article, p) for article, _, passages in cut for p in passages]
    vectors = embedder.embed(texts)
    items, offset = [], 0
    for article, content_hash, passages in cut:
        items.append((article, content_hash, passages, vectors[offset : offset + len(passages)]))
        offset += len(passages)
    return items
