"""The offline answerer: quote the sentences of the retrieved articles that answer the question,
grouped by article, each group cited; or, when the judge finds no answer, say so and offer the
nearest articles as reading. Nothing is paraphrased: every quote is verbatim from its article.

Two orders: by relevance (the best source first), or by time (one cited point per issue,
oldest first), for questions about how the digest's view changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.answerability import Verdict, judge, lacks_names, missing_names
from assistant.keyword import KeywordIndex
from assistant.models import Answer, Article, Citation, Hit, RelatedArticle, SearchFilters
from assistant.ports import Embedder
from assistant.questions import Question, parts, read
from assistant.quoting import Window, WindowScorer
from assistant.sentence_vectors import SentenceVectors
from assistant.settings import Settings

NO_ANSWER = "The digest has nothing that answers this."
MAX_RELATED = 3


@dataclass
class Selection:
    """What the answerer decided, before it is written out (evals read the verdict)."""

    verdict: Verdict
    hits: list[Hit]
    windows: list[Window]
    required: int = 0  # the first windows answer one clause each: always quoted
    relevant: list[Hit] = field(default_factory=list)  # every hit past the gate and the name check


class ExtractiveAnswerer:
    def __init__(self, settings: Settings, embedder: Embedder, vectors: SentenceVectors | None = None):
        self._settings = settings
        self._scorer = WindowScorer(vectors or SentenceVectors(embedder), embedder)

    # --- by relevance -------------------------------------------------------------------------
    def answer(
        self,
        question: str,
        hits: list[Hit],
        keywords: KeywordIndex,
        filters: SearchFilters | None = None,
    ) -> Answer:
        return self.write(question, self.select(question, hits, keywords, filters), hits, filters)

    def write(self, question: str, selection: Selection, hits: list[Hit], filters: SearchFilters | None) -> Answer:
        """The answer a selection makes: its quotes, or the refusal with related articles."""
        if not selection.verdict.answerable:
            return refusal(question, hits, filters)
        picked = _pick(selection.windows, self._settings.answers.sentences, selection.required)
        return _compose(question, selection.hits, picked)

    def select(
        self, question: str, hits: list[Hit], keywords: KeywordIndex, filters: SearchFilters | None = None
    ) -> Selection:
        knobs = self._settings.answers
        q = read(question)
        relevant = _named(q, _relevant(hits, knobs.min_relevance), keywords)
        # Quote only articles close to the best one; a weak further source dilutes the answer.
        chosen = (
            [h for h in relevant if h.score >= relevant[0].score - knobs.second_source_margin][: knobs.max_articles]
            if relevant
            else []
        )
        ranked = self._scorer.rank(q, chosen, keywords, knobs.rerank_sentences)
        best = ranked[0] if ranked else None
        # A question that asks two things gets the best window for each clause, first.
        clauses = parts(question) if ranked else []
        if len(clauses) > 1:
            leads = [self._scorer.rank(read(c), chosen, keywords, knobs.rerank_sentences // 2 or 1) for c in clauses]
            firsts = [r[0] for r in leads if r]
            ranked = [*firsts, *(w for w in ranked if not any(w.overlaps(f) for f in firsts))]
        if not relevant and hits and q.names and _relevant(hits, knobs.min_relevance):
            absent = missing_names(q, _relevant(hits, knobs.min_relevance)[0], keywords)
            return Selection(Verdict(False, f"no article names {', '.join(absent)}"), [], [])
        filtered = filters is not None and not filters.is_empty() and filters.articles is None
        verdict = judge(q, chosen, best, keywords, knobs, filtered)
        return Selection(verdict, chosen, ranked, len(clauses), relevant)

    # --- by time ------------------------------------------------------------------------------
    def answer_over_time(
        self, question: str, topic: str, hits: list[Hit], keywords: KeywordIndex, filters: SearchFilters | None = None
    ) -> Answer:
        """One cited point per issue on ``topic``, oldest issue first."""
        knobs = self._settings.answers
        # No name check per point: in "since the Great Resignation" the name dates the question.
        q = dataclasses.replace(read(topic), names=())
        relevant = _relevant(hits, knobs.min_relevance)
        best_per_issue: dict[tuple, Hit] = {}
        for hit in relevant:  # best first, so the first hit of an issue is its best
            if hit.score >= relevant[0].score - knobs.time_margin:
                issue = hit.article.issue
                # An issue is known by its week or dates; an article with neither stands alone.
                key = (issue.week, issue.dates) if issue.week is not None or issue.dates else (None, hit.article.id)
                best_per_issue.setdefault(key, hit)
        points: list[tuple[Hit, Window]] = []
        for hit in list(best_per_issue.values())[: knobs.time_points]:
            ranked = self._scorer.rank(q, [hit], keywords, 4)
            if ranked and judge(q, [hit], ranked[0], keywords, knobs).answerable:
                points.append((hit, ranked[0]))
        if not points:
            return refusal(question, hits, filters)
        points.sort(key=lambda p: _when(p[0].article))
        paragraphs, citations = [], []
        for n, (hit, window) in enumerate(points, start=1):
            article = hit.article
            quote = window.text
            source = f" ({article.magazine})" if article.magazine else ""
            paragraphs.append(f"{article.issue.label or 'Undated'}: “{article.title}”{source}: {quote} [{n}]")
            citations.append(Citation.for_article(n, article, quote))
        head = f"How the digest covered this over time, one issue at a time ({len(points)} issues, oldest first):"
        return Answer(question=question, text="\n\n".join([head, *paragraphs]), citations=citations, found=True)


def refusal(question: str, hits: Sequence[Hit], filters: SearchFilters | None) -> Answer:
    """ "Not in the digest", with the nearest articles offered as reading (never as citations)."""
    related = [RelatedArticle.for_article(h.article) for h in hits[:MAX_RELATED]]
    text = NO_ANSWER
    if related:
        text += (
            " Closest: "
            + "; ".join(f"“{r.title}”" + (f" ({_issue_name(r)})" if _issue_name(r) else "") for r in related)
            + "."
        )
    if filters is not None and not filters.is_empty() and filters.articles is None:
        text += " The filters may be too narrow; try clearing them."
    elif not related:
        text += " Try other words, or ask about a topic the digest covers."
    return Answer(question=question, text=text, found=False, related=related)


def _issue_name(r: RelatedArticle) -> str:
    return f"Week {r.week}" if r.week is not None else r.issue_dates


def _relevant(hits: Sequence[Hit], floor: float) -> list[Hit]:
    return sorted((h for h in hits if h.score >= floor), key=lambda h: -h.score)


def _named(q: Question, hits: list[Hit], keywords: KeywordIndex) -> list[Hit]:
    """Hits that mention every name the question asks about (all hits when it names none)."""
    if not q.names:
        return hits
    return [h for h in hits if not lacks_names(q, h, keywords)]


def _pick(ranked: list[Window], limit: int, required: int = 0) -> list[Window]:
    """The best window (or the ``required`` first: one per clause of the question), then further
    ones close behind it, up to ``limit`` sentences."""
    if not ranked:
        return []
    picked = _distinct(ranked[:required])
    floor = max((w.score for w in ranked[: max(required, 1)]), default=0.0) * 0.8
    per_article: dict[int, int] = {}
    for win in picked:
        per_article[win.article_rank] = per_article.get(win.article_rank, 0) + 1
    used = sum(len(w.sentences) for w in picked)
    for win in ranked[required:]:
        if win.score < floor or used >= limit:
            break
        if per_article.get(win.article_rank, 0) >= (3 if win.article_rank == 0 else 1):
            continue
        if used and used + len(win.sentences) > limit:
            continue
        if any(win.overlaps(p) or _repeats(win, p) for p in picked):
            continue
        picked.append(win)
        per_article[win.article_rank] = per_article.get(win.article_rank, 0) + 1
        used += len(win.sentences)
    return picked


def _distinct(windows: list[Window]) -> list[Window]:
    kept: list[Window] = []
    for win in windows:
        if not any(win.overlaps(k) or _repeats(win, k) for k in kept):
            kept.append(win)
    return kept


def _repeats(a: Window, b: Window) -> bool:
    """Takeaways often repeat a summary sentence: quote it once."""
    return len(a.stems & b.stems) >= 0.5 * max(min(len(a.stems), len(b.stems)), 1)


def _compose(question: str, hits: list[Hit], picked: list[Window]) -> Answer:
    # Groups appear in order of their best window, so [1] is the strongest source.
    order: list[int] = []
    for win in picked:
        if win.article_rank not in order:
            order.append(win.article_rank)
    paragraphs: list[str] = []
    citations: list[Citation] = []
    for n, rank in enumerate(order, start=1):
        article = hits[rank].article
        quotes = [w.text for w in sorted((w for w in picked if w.article_rank == rank), key=lambda w: w.start)]
        source = f" ({_source(article)})" if _source(article) else ""
        paragraphs.append(f"From “{article.title}”{source}: {' '.join(quotes)} [{n}]")
        citations.append(Citation.for_article(n, article, " … ".join(quotes)))
    return Answer(question=question, text="\n\n".join(paragraphs), citations=citations, found=bool(citations))


def _source(article: Article) -> str:
    return ", ".join(p for p in (article.magazine, article.issue.week and f"Week {article.issue.week}") if p)


def _when(article: Article) -> tuple[int, int]:
    """Oldest first: by the issue's first day where known (an issue without a week number sorts
    by its date, not first), else by its week number."""
    issue = article.issue
    day = issue.start or article.published
    return (day.toordinal() if day else 0, issue.week if issue.week is not None else -1)
