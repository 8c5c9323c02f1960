"""The one entry point every channel uses: ``Assistant(settings).ask(...)`` and friends.

Heavy parts (the embedding model, Chroma, LlamaIndex) load on first use, so a
command that needs none of them starts fast.
"""

from __future__ import annotations

import difflib
import threading
from functools import cached_property
from typing import TYPE_CHECKING, AsyncIterator, Iterator, Sequence

from assistant.errors import EmptyQuestion, QuestionTooLong, UnknownArticle, UnknownWeek
from assistant.models import (
    Answer, Article, AudioClip, AudioFormat, Hit, IngestReport, Issue, IssueListing, SearchFilters,
)
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.conversation import Turn
    from assistant.embedding import Embedder
    from assistant.keyword import KeywordCache
    from assistant.llm import LanguageModel
    from assistant.retrieval import HybridRetriever
    from assistant.speech.engines import EngineInfo
    from assistant.speech.speaker import Speaker
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

    @cached_property
    def speaker(self) -> "Speaker":
        from assistant.speech.speaker import Speaker

        with self._init_lock:
            return Speaker(self.settings)

    @cached_property
    def llm(self) -> "LanguageModel":
        """The configured language model (nothing is imported or contacted until it is used)."""
        from assistant.llm import LanguageModel

        with self._init_lock:
            return LanguageModel(self.settings)

    def close(self) -> None:
        if "speaker" in self.__dict__:
            self.speaker.close()
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
        self, question: str, history: "Sequence[str | Turn] | None" = None, filters: SearchFilters | None = None
    ) -> Answer:
        """The final answer (see ``ask_stream``). ``history``: the previous questions, oldest first."""
        for item in self.ask_stream(question, history, filters):
            if isinstance(item, Answer):
                return item
        raise AssertionError("ask_stream ended without an Answer")

    def ask_stream(
        self, question: str, history: "Sequence[str | Turn] | None" = None, filters: SearchFilters | None = None
    ) -> Iterator[str | Answer]:
        """Text deltas, then exactly one final ``Answer``: the checked one, whose text may differ
        from the deltas (channels replace what they streamed with it). Extractive answers stream too."""
        from assistant.answering import AnswerFlow

        question = self._check_question(question)
        flow = AnswerFlow(self.settings, self.retriever, self.embedder, self.keywords, self.llm)
        return flow.stream(question, history, filters)

    async def aask_stream(
        self, question: str, history: "Sequence[str | Turn] | None" = None, filters: SearchFilters | None = None
    ) -> AsyncIterator[str | Answer]:
        """``ask_stream`` for event loops: every blocking step runs in a worker thread."""
        import asyncio

        done = object()
        items = await asyncio.to_thread(self.ask_stream, question, history, filters)
        try:
            while (item := await asyncio.to_thread(next, items, done)) is not done:
                yield item
        finally:
            await asyncio.to_thread(items.close)  # a caller that stops early ends the model's stream

    def show(self, article_id: str) -> Article:
        found = self.store.get_articles([article_id])
        if not found:
            nearby = difflib.get_close_matches(article_id, list(self.store.article_index()), n=3, cutoff=0.5)
            raise UnknownArticle(article_id, nearby)
        return found[0]

    def issues(self) -> list[IssueListing]:
        """The weeks in the index, newest first, each with its articles in page order.
        Kept until the store's revision changes (any writer, any process), so channels may
        call it on every request."""
        revision = self.store.revision()
        cached = self.__dict__.get("_issues_cache")
        if cached is not None and cached[0] == revision:
            return cached[1]
        groups: dict[tuple, list[Article]] = {}
        for article in self.store.all_articles():
            key = (article.issue.week, article.issue.dates, article.issue.url)
            groups.setdefault(key, []).append(article)
        listings = [
            IssueListing(issue=arts[0].issue, articles=sorted(arts, key=lambda a: a.position))
            for arts in groups.values()
        ]
        listings.sort(key=_issue_sort_key, reverse=True)
        self._issues_cache = (revision, listings)
        return listings

    def issue(self, week: int) -> IssueListing:
        listings = self.issues()
        for listing in listings:
            if listing.issue.week == week:
                return listing
        weeks = [x.issue.week for x in listings if x.issue.week is not None]
        raise UnknownWeek(week, sorted(sorted(weeks, key=lambda w: abs(w - week))[:3]))

    # --- listen ---------------------------------------------------------------------
    def listen_article(self, article_id: str, fmt: AudioFormat = "mp3") -> AudioClip:
        """An article read aloud: title, byline, key takeaways, then the summary."""
        from assistant.speech.script import article_script

        return self.speaker.render(article_script(self.show(article_id)), fmt)

    def listen_issue(self, week: int, fmt: AudioFormat = "mp3", full: bool = False) -> AudioClip:
        """A weekly issue as one episode with a chapter per article; ``full`` adds the summaries."""
        from assistant.speech.script import issue_script

        return self.speaker.render(issue_script(self.issue(week), full=full), fmt)

    def listen_answer(self, answer: Answer, fmt: AudioFormat = "mp3") -> AudioClip:
        """An answer without its citation markers, then its sources by short title."""
        from assistant.speech.script import answer_script

        return self.speaker.render(answer_script(answer), fmt, check_length=True)

    def listen_text(self, text: str, fmt: AudioFormat = "wav") -> AudioClip:
        from assistant.speech.script import text_script

        return self.speaker.render(text_script(text), fmt, check_length=True)

    def voices(self) -> list["EngineInfo"]:
        """The speech engines, whether each can run here, and their voices."""
        return self.speaker.describe()

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
