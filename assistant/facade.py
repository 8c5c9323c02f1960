"""The one entry point every channel uses: ``Assistant(settings).ask(...)`` and friends.

Heavy parts (the embedding model, Chroma, LlamaIndex) load on first use, so a
command that needs none of them starts fast.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import AsyncIterator, Generator, Sequence
from typing import TYPE_CHECKING, Any

from assistant.errors import EmptyQuestion, QuestionTooLong, UnknownArticle, UnknownWeek
from assistant.models import (
    Answer,
    AnswerOrder,
    Article,
    AudioClip,
    AudioFormat,
    Hit,
    IntegrityReport,
    Issue,
    IssueListing,
    SearchFilters,
    TopicMatch,
    match_key,
)
from assistant.ports import Embedder, LanguageModel, Reranker, Retriever
from assistant.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.chat_engine import CondensePlusContextChatEngine
    from llama_index.core.query_engine import RetrieverQueryEngine

    from assistant.conversation import Turn
    from assistant.keyword import KeywordCache
    from assistant.llamaindex import DigestRetriever
    from assistant.sentence_vectors import SentenceVectors
    from assistant.speech.engines import EngineInfo
    from assistant.speech.speaker import Speaker
    from assistant.store import DigestStore


class Assistant:
    """The core's facade. Every part can be injected (tests, benches, another model); what is
    not given is built from ``settings`` on first use, so a command that needs none starts fast."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        store: DigestStore | None = None,
        keywords: KeywordCache | None = None,
        retriever: Retriever | None = None,
        rerankers: Sequence[Reranker] = (),
        llm: LanguageModel | None = None,
        speaker: Speaker | None = None,
    ):
        self.settings = settings or Settings()
        self._init_lock = threading.RLock()  # channels call from worker threads; parts build parts
        self._embedder = embedder
        self._store = store
        self._keywords = keywords
        self.rerankers = list(rerankers)  # post-retrieval stages, in order (none by default)
        self._retriever = retriever
        if retriever is not None and self.rerankers:
            from assistant.retrieval import Reranked

            self._retriever = Reranked(retriever, self.rerankers)
        self._llm = llm
        self._speaker = speaker
        self._sentence_vectors: SentenceVectors | None = None
        self._owned: list[str] = []  # parts this facade built, and so closes
        self._preloading: threading.Thread | None = None
        self._issues_cache: tuple[str, list[IssueListing]] | None = None

    # --- parts: injected, or built from settings on first use -------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._init_lock:
                if self._embedder is None:
                    from assistant.embedding import MiniLMEmbedder

                    knobs = self.settings.embedding
                    self._embedder = MiniLMEmbedder(threads=knobs.threads, batch_size=knobs.batch_size)
        return self._embedder

    @property
    def store(self) -> DigestStore:
        if self._store is None:
            with self._init_lock:
                if self._store is None:
                    from assistant.store import DigestStore

                    self._store = DigestStore(self.settings, self.embedder.model_id, self.embedder.dimension)
                    self._owned.append("store")
        return self._store

    @property
    def keywords(self) -> KeywordCache:
        if self._keywords is None:
            with self._init_lock:
                if self._keywords is None:
                    from assistant.keyword import KeywordCache

                    knobs = self.settings.retrieval
                    self._keywords = KeywordCache(
                        self.store,
                        self.settings.storage.keyword_dir,
                        knobs.keyword_refresh_seconds,
                        count_check=not knobs.one_shot,
                    )
        return self._keywords

    @property
    def retriever(self) -> Retriever:
        """Hybrid search, then the reranker stages."""
        if self._retriever is None:
            with self._init_lock:
                if self._retriever is None:
                    from assistant.retrieval import HybridRetriever, Reranked

                    base = HybridRetriever(self.settings, self.store, self.embedder, self.keywords)
                    self._retriever = Reranked(base, self.rerankers) if self.rerankers else base
        return self._retriever

    @property
    def speaker(self) -> Speaker:
        if self._speaker is None:
            with self._init_lock:
                if self._speaker is None:
                    from assistant.speech.speaker import Speaker

                    self._speaker = Speaker(self.settings)
                    self._owned.append("speaker")
        return self._speaker

    @property
    def sentence_vectors(self) -> SentenceVectors:
        """Embeddings of quoted sentences, kept across questions (an article quoted twice is embedded once)."""
        if self._sentence_vectors is None:
            with self._init_lock:
                if self._sentence_vectors is None:
                    from assistant.sentence_vectors import SentenceVectors

                    self._sentence_vectors = SentenceVectors(self.embedder)
        return self._sentence_vectors

    @property
    def llm(self) -> LanguageModel:
        """The configured language model (nothing is imported or contacted until it is used)."""
        if self._llm is None:
            with self._init_lock:
                if self._llm is None:
                    from assistant.llm import OpenAICompatibleModel

                    self._llm = OpenAICompatibleModel(self.settings)
        return self._llm

    def close(self) -> None:
        """Close the parts this facade built (injected parts belong to whoever made them)."""
        if self._preloading is not None:
            # A process that exits while onnxruntime is still building its session aborts
            # ("terminate called without an active exception"): let the preload finish first.
            self._preloading.join()
            self._preloading = None
        if "speaker" in self._owned and self._speaker is not None:
            self._speaker.close()
        if "store" in self._owned and self._store is not None:
            self._store.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def preload(self, question: str = "") -> None:
        """Load the embedding model (and embed ``question``) in a background thread, so a cold
        one-shot command loads it while it opens the store and the keyword index: onnxruntime
        builds its session and runs without holding the GIL."""
        self._preloading = threading.Thread(target=self._preload, args=(question,), name="preload-model", daemon=True)
        self._preloading.start()

    def _preload(self, question: str) -> None:
        try:
            self.embedder.embed_query(question)
        except Exception:  # noqa: BLE001 - the caller's own use of the model reports it
            return

    # --- after a write ----------------------------------------------------------------------
    def index_changed(self) -> None:
        """The index was written (``index.ingest``): rebuild the keyword index now, not on the
        next user's question."""
        self.keywords.invalidate()
        self.keywords.get()

    def check(self, full: bool = True, repair: bool = False) -> IntegrityReport:
        """Is the index whole and consistent (``assistant.integrity``)? ``repair`` fixes what
        needs no re-embedding; ``full=False`` runs only the quick checks."""
        from assistant import integrity

        if repair:
            return integrity.repair(self.store, self.keywords)
        return integrity.check(self.store, self.keywords, full=full)

    def forget(self, article_id: str) -> Article:
        article = self.show(article_id)
        self.store.mark_dirty()
        self.store.delete_articles([article_id])
        self.store.bump_revision()
        self.keywords.invalidate()
        return article

    # --- LlamaIndex -------------------------------------------------------------------
    def as_retriever(
        self,
        top_k: int | None = None,
        *,
        week: int | tuple[int, int] | None = None,
        filters: SearchFilters | None = None,
        per_article: bool = False,
        min_relevance: float | None = None,
        **search: Any,
    ) -> DigestRetriever:
        """The digest's search as a LlamaIndex ``BaseRetriever`` (``assistant.llamaindex``).
        ``week``: 373 or (370, 373); ``search``: any other ``SearchFilters`` field (``since``,
        ``until``, ``magazine``, ``author``, ``topic``), or ``filters`` whole. ``min_relevance``:
        the gate below which nothing is returned (default: the answers' own; 0 turns it off)."""
        from assistant.llamaindex import DigestRetriever

        if week is not None:
            low, high = (week, week) if isinstance(week, int) else week
            search.update(week_from=low, week_to=high)
        if search:
            filters = (filters or SearchFilters()).model_copy(update=search)
        return DigestRetriever(self, top_k=top_k, filters=filters, per_article=per_article, min_relevance=min_relevance)

    def as_query_engine(self, llm: Any = None, **kwargs: Any) -> RetrieverQueryEngine:
        """A LlamaIndex ``RetrieverQueryEngine`` over ``as_retriever``; it answers with ``llm``,
        else LlamaIndex's ``Settings.llm`` when set, else the configured endpoint. ``kwargs``
        go to ``as_retriever`` (``top_k``, ``week``, filters) or, if not its, the engine."""
        from assistant.llamaindex import query_engine

        retriever, rest = self._retriever_and_rest(kwargs)
        return query_engine(self, retriever, llm, **rest)

    def as_chat_engine(self, llm: Any = None, **kwargs: Any) -> CondensePlusContextChatEngine:
        """A LlamaIndex ``CondensePlusContextChatEngine`` over ``as_retriever`` (same ``llm``
        and ``kwargs`` rules as ``as_query_engine``)."""
        from assistant.llamaindex import chat_engine

        retriever, rest = self._retriever_and_rest(kwargs)
        return chat_engine(self, retriever, llm, **rest)

    def _retriever_and_rest(self, kwargs: dict[str, Any]) -> tuple[DigestRetriever, dict[str, Any]]:
        mine = {"top_k", "week", "filters", "per_article", "min_relevance", *SearchFilters.model_fields}
        retriever = self.as_retriever(**{k: v for k, v in kwargs.items() if k in mine})
        return retriever, {k: v for k, v in kwargs.items() if k not in mine}

    # --- read path ------------------------------------------------------------------
    def search(self, query: str, filters: SearchFilters | None = None, top_k: int | None = None) -> list[Hit]:
        query = self._check_question(query)
        return self.retriever.search(query, filters, top_k)

    def ask(
        self,
        question: str,
        history: Sequence[str | Turn] | None = None,
        filters: SearchFilters | None = None,
        order: AnswerOrder | None = None,
    ) -> Answer:
        """The final answer (see ``ask_stream``). ``history``: the previous turns, oldest first."""
        from assistant.streaming import final_answer

        return final_answer(self.ask_stream(question, history, filters, order))

    def ask_stream(
        self,
        question: str,
        history: Sequence[str | Turn] | None = None,
        filters: SearchFilters | None = None,
        order: AnswerOrder | None = None,
    ) -> Generator[str | Answer, None, None]:
        """Text deltas, then exactly one final ``Answer``: the checked one, whose text may differ
        from the deltas (channels replace what they streamed with it). Extractive answers stream too.
        ``order``: relevance or time; None chooses time when the question asks how a view changed."""
        from assistant.answering import AnswerFlow

        question = self._check_question(question)
        flow = AnswerFlow(
            self.settings, self.retriever, self.embedder, self.keywords, self.llm, self.store, self.sentence_vectors
        )
        return flow.stream(question, history, filters, order)

    async def aask_stream(
        self,
        question: str,
        history: Sequence[str | Turn] | None = None,
        filters: SearchFilters | None = None,
        order: AnswerOrder | None = None,
    ) -> AsyncIterator[str | Answer]:
        """``ask_stream`` for event loops: every blocking step runs in a worker thread."""
        import asyncio

        items = await asyncio.to_thread(self.ask_stream, question, history, filters, order)
        try:
            while (item := await asyncio.to_thread(next, items, None)) is not None:  # items are never None
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
        cached = self._issues_cache
        if cached is not None and cached[0] == revision:
            return cached[1]
        # A week is one issue, even when its articles came from two sources that disagree on its
        # address or dates (a page re-published elsewhere): the listing takes the issue of the
        # larger part and shows every article, each source's in page order.
        groups: dict[tuple, dict[tuple, list[Article]]] = {}
        for article in self.store.all_articles():
            issue = article.issue
            key = (issue.week,) if issue.week is not None else (None, issue.dates, issue.url)
            part = (issue.dates, issue.url)
            groups.setdefault(key, {}).setdefault(part, []).append(article)
        listings = []
        for parts in groups.values():
            ordered = sorted(parts.values(), key=len, reverse=True)  # stable: the first ingested wins ties
            articles = [a for arts in ordered for a in sorted(arts, key=lambda a: a.position)]
            listings.append(IssueListing(issue=ordered[0][0].issue, articles=articles))
        listings.sort(key=_issue_sort_key, reverse=True)
        self._issues_cache = (revision, listings)
        return listings

    def latest_issue(self) -> IssueListing | None:
        """The newest issue with a week number, or None when the index has none."""
        return next((x for x in self.issues() if x.issue.week is not None), None)

    def topic_articles(self, name: str) -> TopicMatch:
        """Articles tagged with a topic, newest issue first, matched as the ``--topic`` filter
        matches; when none are, topics with a similar name."""
        listings = self.issues()
        key = match_key(name)
        found = [a for x in listings for a in x.articles if key and key in {match_key(t) for t in a.topics}]
        if found:
            return TopicMatch(topic=name, articles=found)
        topics = sorted({t for x in listings for a in x.articles for t in a.topics})
        near = [t for t in topics if key and key in match_key(t)]
        near += difflib.get_close_matches(name.title(), topics, n=3, cutoff=0.6)
        return TopicMatch(topic=name, suggestions=list(dict.fromkeys(near))[:5])

    def issue(self, week: int) -> IssueListing:
        listings = self.issues()
        for listing in listings:
            if listing.issue.week == week:
                return listing
        weeks = [x.issue.week for x in listings if x.issue.week is not None]
        raise UnknownWeek(week, sorted(sorted(weeks, key=lambda w: abs(w - week))[:3]))

    # --- listen ---------------------------------------------------------------------
    def listen_article(self, article_id: str, fmt: AudioFormat | str = AudioFormat.MP3) -> AudioClip:
        """An article read aloud: title, byline, key takeaways, then the summary."""
        from assistant.speech.script import article_script

        return self.speaker.render(article_script(self.show(article_id)), fmt)

    def listen_issue(self, week: int, fmt: AudioFormat | str = AudioFormat.MP3, full: bool = False) -> AudioClip:
        """A weekly issue as one episode with a chapter per article; ``full`` adds the summaries."""
        from assistant.speech.script import issue_script

        return self.speaker.render(issue_script(self.issue(week), full=full), fmt)

    def listen_answer(self, answer: Answer, fmt: AudioFormat | str = AudioFormat.MP3) -> AudioClip:
        """An answer without its citation markers, then its sources by short title."""
        from assistant.speech.script import answer_script

        return self.speaker.render(answer_script(answer), fmt, check_length=True)

    def listen_text(self, text: str, fmt: AudioFormat | str = AudioFormat.WAV) -> AudioClip:
        from assistant.speech.script import text_script

        return self.speaker.render(text_script(text), fmt, check_length=True)

    def voices(self) -> list[EngineInfo]:
        """The speech engines, whether each can run here, and their voices."""
        return self.speaker.describe()

    def _check_question(self, text: str) -> str:
        text = " ".join((text or "").split())
        if not text:
            raise EmptyQuestion()
        if len(text) > self.settings.answers.max_question_chars:
            raise QuestionTooLong(self.settings.answers.max_question_chars)
        return text


def _issue_sort_key(listing: IssueListing) -> tuple:
    issue: Issue = listing.issue
    return (issue.week if issue.week is not None else -1, issue.start.toordinal() if issue.start else 0)
