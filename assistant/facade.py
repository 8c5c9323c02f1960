"""The one entry point every channel uses: ``Assistant(settings).ask(...)`` and friends.

Heavy parts (the embedding model, Chroma, LlamaIndex) load on first use, so a
command that needs none of them starts fast.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Sequence

from assistant.errors import EmptyQuestion, QuestionTooLong, UnknownArticle, UnknownWeek
from assistant.models import Answer, Article, Hit, IngestReport, Issue, IssueListing, SearchFilters
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.embedding import Embedder
    from assistant.keyword import KeywordCache
    from assistant.retrieval import HybridRetriever
    from assistant.store import DigestStore
    from index.ingest import Progress


class Assistant:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self._init_lock = threading.RLock()  # channels call from worker threads; parts build parts

    # --- lazily built parts ---------------------------------------------------------
    @cached_property
    def embedder(self) -> "Embedder":
        from assistant.embedding import Embedder

        return Embedder(threads=self.settings.embed_threads, batch_size=self.settings.embed_batch_size)

    @cached_property
    def store(self) -> "DigestStore":
        from assistant.embedding import DIMENSION, MODEL_ID
        from assistant.store import DigestStore

        with self._init_lock:
            return DigestStore(self.settings, MODEL_ID, DIMENSION)

    @cached_property
    def keywords(self) -> "KeywordCache":
        from assistant.keyword import KeywordCache

        return KeywordCache(self.store, self.settings.keyword_dir, self.settings.keyword_refresh_seconds)

    @cached_property
    def retriever(self) -> "HybridRetriever":
        from assistant.retrieval import HybridRetriever

        with self._init_lock:
            return HybridRetriever(self.settings, self.store, self.embedder, self.keywords)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

    def __enter__(self) -> "Assistant":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- write path -----------------------------------------------------------------
    def ingest(self, sources: Sequence[str] | None = None, progress: "Progress | None" = None) -> IngestReport:
        """Index paths, folders and URLs (the bundled sample digest when none are given)."""
        from index.ingest import ingest  # lazy: the core does not depend on the write path

        report = ingest(sources, self.settings, self.store, self.embedder, progress)
        self.keywords.invalidate()
        self.keywords.get()  # rebuild the keyword index now, not on the next user's question
        return report

    def forget(self, article_id: str) -> Article:
        article = self.show(article_id)
        self.store.delete_articles([article_id])
        self.store.bump_revision()
        self.keywords.invalidate()
        return article

    # --- read path ------------------------------------------------------------------
    def search(self, query: str, filters: SearchFilters | None = None, top_k: int | None = None) -> list[Hit]:
        query = self._check_question(query)
        return self.retriever.search(query, filters, top_k)

    def ask(
        self, question: str, history: Sequence[str] | None = None, filters: SearchFilters | None = None
    ) -> Answer:
        from assistant.conversation import standalone_question
        from assistant.extractive import ExtractiveAnswerer

        question = self._check_question(question)
        query = standalone_question(question, history)
        hits = self.retriever.search(query, filters, self.settings.top_k)
        answer = ExtractiveAnswerer(self.settings, self.embedder).answer(query, hits, self.keywords.get(), filters)
        return answer.model_copy(update={"question": question})

    def show(self, article_id: str) -> Article:
        found = self.store.get_articles([article_id])
        if not found:
            raise UnknownArticle(article_id)
        return found[0]

    def issues(self) -> list[IssueListing]:
        """The weeks in the index, newest first, each with its articles in page order."""
        groups: dict[tuple, list[Article]] = {}
        for article in self.store.all_articles():
            key = (article.issue.week, article.issue.dates, article.issue.url)
            groups.setdefault(key, []).append(article)
        listings = [
            IssueListing(issue=arts[0].issue, articles=sorted(arts, key=lambda a: a.position))
            for arts in groups.values()
        ]
        listings.sort(key=_issue_sort_key, reverse=True)
        return listings

    def issue(self, week: int) -> IssueListing:
        for listing in self.issues():
            if listing.issue.week == week:
                return listing
        raise UnknownWeek(week)

    def _check_question(self, text: str) -> str:
        text = " ".join((text or "").split())
        if not text:
            raise EmptyQuestion()
        if len(text) > self.settings.max_question_chars:
            raise QuestionTooLong(self.settings.max_question_chars)
        return text


def _issue_sort_key(listing: IssueListing) -> tuple:
    issue: Issue = listing.issue
    return (issue.week if issue.week is not None else -1, issue.start.toordinal() if issue.start else 0)
