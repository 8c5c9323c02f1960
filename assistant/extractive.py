"""The offline answerer: quote the sentences of the retrieved articles that best answer
the question, grouped by article, each group cited. Nothing is paraphrased, so every
quoted sentence is verbatim from the article it cites."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.keyword import KeywordIndex
from assistant.models import Answer, Citation, Hit, SearchFilters
from assistant.ports import Embedder
from assistant.sentences import split_sentences
from assistant.settings import Settings
from assistant.terms import analyze


@dataclass
class _Sentence:
    article_rank: int
    position: int  # order within the article: takeaways first, then the summary
    text: str
    stems: frozenset[str]
    score: float = 0.0


class ExtractiveAnswerer:
    def __init__(self, settings: Settings, embedder: Embedder):
        self._settings = settings
        self._embedder = embedder

    def answer(
        self, question: str, hits: list[Hit], keywords: KeywordIndex, filters: SearchFilters | None = None
    ) -> Answer:
        knobs = self._settings.answers
        relevant = sorted((h for h in hits if h.score >= knobs.min_relevance), key=lambda h: -h.score)
        # Cite only articles close to the best one; a weak further source dilutes the answer.
        chosen = [h for h in relevant if h.score >= relevant[0].score - knobs.second_source_margin][
            : knobs.max_articles
        ]
        picked = _pick(self._score_sentences(question, chosen, keywords), knobs.sentences)
        if not picked:
            return Answer(question=question, text=_nothing_found(filters), found=False)
        return _compose(question, chosen, picked)

    def _score_sentences(self, question: str, hits: list[Hit], keywords: KeywordIndex) -> list[_Sentence]:
        q_stems = analyze(question)
        candidates: list[_Sentence] = []
        for rank, hit in enumerate(hits):
            blocks = (*hit.article.takeaways, *hit.article.summary)
            for pos, text in enumerate(s for block in blocks for s in split_sentences(block)):
                if len(text.split()) < 5:
                    continue  # fragments ("Others simply said.") make poor quotes
                stems = frozenset(analyze(text))
                # A sentence inherits the cosine of the matched passage it sits in (free: already
                # computed); sentences outside matched passages start a little lower.
                cosine = max((p.similarity for p in hit.passages if text in p.text), default=hit.similarity - 0.1)
                score = 0.5 * keywords.coverage(q_stems, stems) + 0.5 * cosine - 0.05 * rank
                candidates.append(_Sentence(rank, pos, text, stems, score))
        if not candidates:
            return []
        # Re-score the front-runners by their own meaning: one small embedding batch.
        candidates.sort(key=lambda s: -s.score)
        front = candidates[: self._settings.answers.rerank_sentences]
        cosines = self._embedder.embed([s.text for s in front]) @ self._embedder.embed_query(question)
        for s, cos in zip(front, cosines):
            s.score = 0.5 * s.score + 0.5 * float(cos) - 0.03 * s.article_rank
        return sorted(front, key=lambda s: -s.score)


def _pick(sentences: list[_Sentence], limit: int) -> list[_Sentence]:
    if not sentences:
        return []
    floor = sentences[0].score * 0.6
    picked: list[_Sentence] = []
    per_article: dict[int, int] = {}
    for s in sentences:
        if len(picked) >= limit or s.score < floor:
            break
        if per_article.get(s.article_rank, 0) >= (3 if s.article_rank == 0 else 2):
            continue
        # Takeaways often repeat a summary sentence: quote it once.
        if any(len(s.stems & p.stems) >= 0.5 * max(len(s.stems | p.stems), 1) for p in picked):
            continue
        picked.append(s)
        per_article[s.article_rank] = per_article.get(s.article_rank, 0) + 1
    return picked


def _compose(question: str, hits: list[Hit], picked: list[_Sentence]) -> Answer:
    # Groups appear in order of their best sentence, so [1] is the strongest source.
    order: list[int] = []
    for s in picked:
        if s.article_rank not in order:
            order.append(s.article_rank)
    paragraphs: list[str] = []
    citations: list[Citation] = []
    for n, rank in enumerate(order, start=1):
        article = hits[rank].article
        quotes = [s.text for s in sorted((s for s in picked if s.article_rank == rank), key=lambda s: s.position)]
        source = ", ".join(p for p in (article.magazine, article.issue.week and f"Week {article.issue.week}") if p)
        paragraphs.append(f"From “{article.title}” ({source}): {' '.join(quotes)} [{n}]")
        citations.append(Citation.for_article(n, article, " … ".join(quotes)))
    return Answer(question=question, text="\n\n".join(paragraphs), citations=citations, found=bool(citations))


def _nothing_found(filters: SearchFilters | None) -> str:
    text = "The digest has nothing on that: no article matched the question closely enough."
    if filters is not None and not filters.is_empty():
        text += " The filters may be too narrow; try clearing them."
    else:
        text += " Try other words, or ask about a topic the digest covers."
    return text
