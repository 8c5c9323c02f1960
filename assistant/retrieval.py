"""Hybrid search: dense passages (Chroma) + BM25 passages (bm25s), fused by reciprocal
rank, filtered the same way on both sides, grouped into articles, re-ranked by evidence.

Why not LlamaIndex's retrievers here: importing ``llama_index.core`` costs ~1.9 s per
cold process (the `assistant ask` budget is 3 s), and ``QueryFusionRetriever`` merges
results by a hash of node text *and* metadata and overwrites each retriever's raw score,
which the relevance gate needs. The dense side is one Chroma query; RRF is a few lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.filters import chroma_where
from assistant.keyword import KeywordCache, KeywordIndex
from assistant.models import Article, Hit, PassageMatch, SearchFilters
from assistant.ports import Embedder, Reranker, Retriever
from assistant.settings import Settings
from assistant.store import DigestStore
from assistant.terms import analyze


@dataclass
class _Candidate:
    passage_id: str
    article_id: str
    rrf: float = 0.0
    cosine: float | None = None
    text: str | None = None
    kind: str = "summary"
    dense_rank: int | None = None
    keyword_rank: int | None = None
    row: int | None = None  # in the keyword index's build, when known


class HybridRetriever:
    def __init__(self, settings: Settings, store: DigestStore, embedder: Embedder, keywords: KeywordCache):
        self._settings = settings
        self._store = store
        self._embedder = embedder
        self._keywords = keywords
        # Parsed articles for the current store revision: warm searches skip a read and a parse.
        self._articles: dict[str, Article] = {}
        self._articles_revision = ""

    def search(self, query: str, filters: SearchFilters | None = None, top_k: int | None = None) -> list[Hit]:
        knobs = self._settings.retrieval
        top_k = top_k or knobs.top_k
        query_vector = self._embedder.embed_query(query)
        candidates: dict[str, _Candidate] = {}
        index = self._keywords.get()
        mask = index.columns.mask(filters)
        for rank, (pid, row, cosine) in enumerate(self._dense(index, query_vector, filters, mask)):
            c = candidates.setdefault(pid, _Candidate(pid, _article_of(pid), row=row))
            c.rrf += 1.0 / (knobs.rrf_k + rank + 1)
            c.cosine = cosine
            c.dense_rank = rank
        for rank, (row, _score) in enumerate(index.search_rows(query, knobs.candidates, filters, mask)):
            pid = index.passage_ids[row]
            c = candidates.setdefault(pid, _Candidate(pid, _article_of(pid), row=row))
            c.rrf += 1.0 / (knobs.rrf_k + rank + 1)
            c.keyword_rank = rank
        hits = self._to_hits(candidates, query_vector, max(top_k, knobs.rerank_pool), index)
        # Re-rank the fused pool by evidence: meaning (best passage cosine) plus the share
        # of the question's informative words the article contains. The same score gates answers.
        query_terms = analyze(query)
        for hit in hits:
            terms = index.article_terms.get(hit.article.id) or frozenset(analyze(_article_text(hit)))
            coverage = index.coverage(query_terms, terms)
            hit.score = (1 - knobs.coverage_weight) * hit.similarity + knobs.coverage_weight * coverage
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:top_k]

    def _dense(
        self, index: KeywordIndex, query_vector: np.ndarray, filters: SearchFilters | None, mask: np.ndarray | None
    ) -> list[tuple[str, int | None, float]]:
        """(passage id, row, cosine) of the nearest passages. Chroma's HNSW over everything; exact
        search over the saved vectors within a filter (``passage_vectors.py`` says why) and in a
        one-shot process, which then never loads Chroma's vector index."""
        k = self._settings.retrieval.candidates
        if mask is not None or self._settings.retrieval.one_shot:
            exact = index.nearest_rows(query_vector, k, mask)
            if exact is not None:
                return [(index.passage_ids[r], r, cosine) for r, cosine in exact]
        return [
            (pid, None, cosine) for pid, cosine in self._store.nearest_passages(query_vector, k, chroma_where(filters))
        ]

    def _to_hits(
        self, candidates: dict[str, _Candidate], query_vector: np.ndarray, top_k: int, index: KeywordIndex
    ) -> list[Hit]:
        by_article: dict[str, list[_Candidate]] = defaultdict(list)
        for c in candidates.values():
            by_article[c.article_id].append(c)
        ranked = sorted(by_article.items(), key=lambda kv: _article_score(kv[1]), reverse=True)[:top_k]
        # Texts (and, for passages found only by keywords, the cosine) of each article's best
        # passages, in one read from the store; a one-shot process reads the keyword build's copy
        # instead. (The store's read also drops passages deleted behind the revision's back.)
        ranked = [
            (aid, sorted(cs, key=lambda c: c.rrf, reverse=True)[: self._settings.retrieval.passages_per_hit])
            for aid, cs in ranked
        ]
        unread = []
        copied = self._settings.retrieval.one_shot
        for c in (c for _, cs in ranked for c in cs):
            if not copied:
                unread.append(c.passage_id)
                continue
            if c.row is None and index.texts is not None:
                c.row = index.passage_ids.row(c.passage_id, index.columns)
            copy = None if c.row is None else index.passage(c.row)
            if copy is None:
                unread.append(c.passage_id)
                continue
            c.text, c.kind, vec = copy
            if c.cosine is None:
                c.cosine = float(vec @ query_vector)
        for pid, (text, meta, vec) in self._store.passages(unread).items():
            c = candidates[pid]
            c.text, c.kind = text, meta.get("kind", "summary")
            if c.cosine is None:
                c.cosine = float(vec @ query_vector)
        articles = self._load_articles([aid for aid, _ in ranked], index)
        hits: list[Hit] = []
        for article_id, cs in ranked:
            cs = [c for c in cs if c.text is not None]
            if article_id not in articles or not cs:
                continue  # deleted between the reads, or by another program behind the revision's back
            passages = [
                PassageMatch(passage_id=c.passage_id, kind=c.kind, text=c.text, similarity=c.cosine or 0.0) for c in cs
            ]
            hits.append(
                Hit(
                    article=articles[article_id],
                    score=_article_score(cs),
                    # Best cosine over every matched passage, not only the ones whose text is kept.
                    similarity=max((c.cosine for c in by_article[article_id] if c.cosine is not None), default=0.0),
                    passages=passages,
                    dense_rank=_best(c.dense_rank for c in by_article[article_id]),
                    keyword_rank=_best(c.keyword_rank for c in by_article[article_id]),
                )
            )
        return hits

    def _load_articles(self, ids: list[str], index: KeywordIndex) -> dict[str, Article]:
        if index.revision != self._articles_revision:
            self._articles, self._articles_revision = {}, index.revision
        missing = [i for i in ids if i not in self._articles]
        found: list[Article] = []
        for article_id in missing if self._settings.retrieval.one_shot else ():
            stored = index.article_json(article_id)
            if stored is not None:
                found.append(Article.model_validate_json(stored))
        copied = {a.id for a in found}
        found += self._store.get_articles([i for i in missing if i not in copied])
        for article in found:
            if len(self._articles) >= self._settings.retrieval.article_cache:
                self._articles.pop(next(iter(self._articles)))  # oldest first
            self._articles[article.id] = article
        return {i: self._articles[i] for i in ids if i in self._articles}


def _article_of(passage_id: str) -> str:
    return passage_id.rsplit("#", 1)[0]  # passage ids are "<article id>#<seq>" (index/passages.py)


def _best(ranks: Iterable[int | None]) -> int | None:
    return min((r for r in ranks if r is not None), default=None)


def _article_text(hit: Hit) -> str:
    a = hit.article
    return " ".join([a.title, *a.topics, *a.takeaways, *a.summary])


def _article_score(passages: list[_Candidate]) -> float:
    """An article ranks by its best passage, plus a little for a second matching one."""
    scores = sorted((c.rrf for c in passages), reverse=True)
    return scores[0] + 0.5 * (scores[1] if len(scores) > 1 else 0.0)


class Reranked:
    """A retriever followed by post-retrieval stages (``ports.Reranker``), each given the
    previous stage's hits. None ship today; a cross-encoder would be one stage."""

    def __init__(self, retriever: Retriever, stages: Sequence[Reranker]):
        self.retriever = retriever
        self.stages = list(stages)

    def search(self, query: str, filters: SearchFilters | None = None, top_k: int | None = None) -> list[Hit]:
        hits = self.retriever.search(query, filters, top_k)
        for stage in self.stages:
            hits = stage.rerank(query, hits)
        return hits
