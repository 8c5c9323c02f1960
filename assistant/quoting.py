"""Which verbatim sentences of an article answer a question: windows of adjacent sentences,
scored for what the question asks rather than for its topic.

Why windows: a lead-in ("Recently, two other worries have loomed large.") only makes sense with
the sentence that completes it, and a sentence starting "This" needs the one before it. A window
ending in a lead-in is never formed, so a lead-in is never quoted alone.

Scoring, cheap first: every window gets a lexical score (the question's *focus* words it holds,
with the words of the article's own title counting little, since every sentence of the article
is about them), a bonus when it is worded like the kind of answer asked for (a reason, an amount,
advice, a problem...), and the cosine of the passage it sits in. The front-runners are then
re-scored by their own meaning: their sentences are embedded (``SentenceVectors`` keeps them by
text) and each window's vector is the normalised sum of its sentences' vectors. A takeaway gets no
bonus over a summary sentence: tuning gave it none, as takeaways repeat summary sentences anyway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from assistant.keyword import KeywordIndex
from assistant.models import Hit
from assistant.ports import Embedder
from assistant.questions import Question, states
from assistant.sentence_vectors import SentenceVectors
from assistant.sentences import split_sentences
from assistant.terms import analyze

MAX_WINDOW = 3  # sentences; a lead-in plus a two-sentence completion at most
_MIN_WORDS = 5  # fragments ("Others simply said.") make poor quotes on their own

# A sentence that announces what follows ("two worries loomed large", "one example to follow is
# Spain", "here is how:"), so it cannot end a quote.
_ANNOUNCES = re.compile(
    r"[:—–]\s*$"
    r"|\b(the following|as follows|here are|here is|here['’]s|consider this|for example|for instance)\b[^.!?]{0,40}[.!?]?\s*$"
    r"|\b(two|three|four|five|six|seven|several|a few|a couple of|a number of|other|some|many|these)\b"
    r"(\s+[\w-]+){0,3}\s+(worries|concerns|reasons|ways|lessons|steps|factors|things|examples|questions|risks"
    r"|challenges|takeaways|options|trends|forces|problems|areas|shifts|strategies|approaches|principles|practices"
    r"|moves|mistakes|signals|changes|findings|patterns|pillars|themes|forms|types|kinds|groups|priorities"
    r"|obstacles|barriers|threats|benefits|advantages|drivers|issues|questions|traps|rules|habits)\b"
    r"[^.!?]{0,60}[.!?]?\s*$"
    r"|^(one|another|a|the best|a good|a useful|a telling|a striking)\s+(\w+\s+)?(example|case|model|illustration"
    r"|lesson|answer|explanation)\b",
    re.I,
)
# The next sentence counts the things just announced ("First, ...", "One is ...").
_ENUMERATES = re.compile(r"^[\"“‘(-]*\s*(first(ly)?|the first|one (is|was)|one,|to begin|1[.)])\b", re.I)
# A sentence that leans on the one before it ("This ...", "But ...").
_LEANS_BACK = re.compile(
    r"^[\"“‘(-]*\s*(this|that|these|those|such|it|they|but|however|yet|still|instead|as a result|that is why"
    r"|the result|in turn|also|and|so)\b",
    re.I,
)
_BULLET = re.compile(r"^[-•*–]\s+")


@dataclass
class Sentence:
    text: str
    stems: frozenset[str]
    takeaway: bool
    block: int  # takeaway or paragraph number; windows stay in one block, lead-ins may cross
    cosine: float  # of the passage it sits in (inherited, so free)


@dataclass
class Window:
    """Adjacent sentences of one article, quoted together."""

    article_rank: int
    start: int
    sentences: list[Sentence]
    score: float = 0.0
    lexical: float = 0.0
    meaning: float | None = None  # the window's own cosine, once embedded
    stems: frozenset[str] = field(default_factory=frozenset)

    @property
    def texts(self) -> list[str]:
        return [quotable(s.text) for s in self.sentences]

    @property
    def text(self) -> str:
        return " ".join(self.texts)

    def overlaps(self, other: Window) -> bool:
        if other.article_rank != self.article_rank:
            return False
        mine = {s.text for s in self.sentences}
        return any(s.text in mine for s in other.sentences)


def quotable(text: str) -> str:
    """A sentence as quoted: without a leading list bullet (still verbatim from the article)."""
    return _BULLET.sub("", text)


def announces(sentence: str, following: str | None) -> bool:
    """Whether ``sentence`` is a lead-in that needs the sentence after it."""
    if _announces(sentence):
        return True
    return following is not None and _enumerates(following) and len(sentence.split()) <= 20


# Sentence-level facts are cached by text: the same articles come back question after question.
@lru_cache(maxsize=50_000)
def _announces(sentence: str) -> bool:
    return _ANNOUNCES.search(sentence) is not None


@lru_cache(maxsize=50_000)
def _enumerates(sentence: str) -> bool:
    return _ENUMERATES.search(sentence) is not None


@lru_cache(maxsize=50_000)
def _leans_back(sentence: str) -> bool:
    return _LEANS_BACK.search(sentence) is not None


@lru_cache(maxsize=50_000)
def _stems(sentence: str) -> frozenset[str]:
    return frozenset(analyze(sentence))


def article_sentences(hit: Hit) -> list[Sentence]:
    """Takeaways, then the summary, sentence by sentence, each with its passage's cosine."""
    a = hit.article
    out: list[Sentence] = []
    blocks = [(True, b) for b in a.takeaways] + [(False, b) for b in a.summary]
    fallback = hit.similarity - 0.1  # sentences outside matched passages start a little lower
    for n, (takeaway, block) in enumerate(blocks):
        for text in split_sentences(block):
            cosine = max((p.similarity for p in hit.passages if text in p.text), default=fallback)
            out.append(Sentence(text, _stems(text), takeaway, n, cosine))
    return out


def windows(article_rank: int, sentences: Sequence[Sentence]) -> list[Window]:
    """Every run of 1..MAX_WINDOW adjacent sentences that does not end in a lead-in. Takeaways
    stay within one takeaway; summary windows may cross a paragraph only to complete a lead-in."""
    out: list[Window] = []
    for i in range(len(sentences)):
        for size in range(1, MAX_WINDOW + 1):
            j = i + size
            if j > len(sentences):
                break
            run = list(sentences[i:j])
            last = run[-1]
            after = sentences[j] if j < len(sentences) else None
            if size > 1:
                prev = run[-2]
                crosses = prev.block != last.block
                if crosses and (prev.takeaway or last.takeaway or not announces(prev.text, last.text)):
                    break
            same_block_after = after if after is not None and after.takeaway == last.takeaway else None
            if announces(last.text, same_block_after.text if same_block_after else None):
                continue  # a lead-in cannot end a quote: grow the window
            if sum(len(s.text.split()) for s in run) < _MIN_WORDS:
                continue
            out.append(Window(article_rank, i, run, stems=frozenset().union(*(s.stems for s in run))))
    return out


@dataclass(frozen=True)
class Weights:
    """How a window's score is made; tuned on the gold set's tune split (evals/gold.jsonl)."""

    focus: float = 0.35  # question words the window holds (title words discounted)
    passage: float = 0.25  # cosine of the passage the window sits in
    meaning: float = 0.55  # the window's own cosine, for front-runners
    kind: float = 0.06  # worded like the kind of answer asked for
    kind_in_title: float = 2.0  # extra kind weight, by the share of the question's words in the title
    takeaway: float = (
        0.0  # the digest's key takeaways (tuned to 0: they repeat summary sentences, which compete anyway)
    )
    leans_back: float = 0.04  # starts "This..."/"But..." without what it refers to
    extra_sentence: float = 0.015  # per sentence beyond the first: prefer concise quotes
    article_rank: float = 0.04  # per rank below the best article
    title_words: float = 0.25  # weight of a question word that is also in the article's title


class WindowScorer:
    def __init__(self, vectors: SentenceVectors, embedder: Embedder, weights: Weights = Weights()):
        self._vectors = vectors
        self._embedder = embedder
        self._w = weights

    def rank(self, question: Question, hits: Sequence[Hit], keywords: KeywordIndex, front: int) -> list[Window]:
        """Windows of every hit, best first; the ``front`` best are re-scored by meaning."""
        w = self._w
        stems = question.stems
        candidates: list[Window] = []
        for rank, hit in enumerate(hits):
            title = frozenset(analyze(hit.article.title))
            weights = {t: keywords.idf(t) * (w.title_words if t in title else 1.0) for t in set(stems)}
            total = sum(weights.values()) or 1.0
            # When the question's words are the article's title ("What leaders do that impedes
            # mastery" of "What Leaders Do That Helps — or Impedes"), every sentence matches them;
            # what tells the answer apart is then the kind of thing it states.
            full = sum(keywords.idf(t) for t in set(stems)) or 1.0
            in_title = sum(keywords.idf(t) for t in set(stems) if t in title) / full
            kind_weight = w.kind * (1 + w.kind_in_title * in_title)
            for win in windows(rank, article_sentences(hit)):
                focus = sum(v for t, v in weights.items() if t in win.stems) / total
                win.lexical = focus
                passage = max(s.cosine for s in win.sentences)
                win.score = (
                    w.focus * focus
                    + w.passage * passage
                    + kind_weight * _kind_match(question, win)
                    - (w.leans_back if _leans_back(win.sentences[0].text) else 0.0)
                    - w.extra_sentence * (len(win.sentences) - 1)
                    - w.article_rank * rank
                )
                candidates.append(win)
        if not candidates:
            return []
        candidates.sort(key=lambda x: -x.score)
        head = _distinct_front(candidates, front)
        texts = list(dict.fromkeys(s.text for win in head for s in win.sentences))
        vectors = dict(zip(texts, self._vectors.get(texts)))
        query = self._embedder.embed_query(question.text)
        for win in head:
            summed = np.sum([vectors[s.text] for s in win.sentences], axis=0)
            norm = float(np.linalg.norm(summed)) or 1.0
            win.meaning = float(summed @ query) / norm
            win.score += w.meaning * win.meaning
        head.sort(key=lambda x: -x.score)
        return head


def _kind_match(question: Question, win: Window) -> float:
    """Share of the kinds of answer asked for that the window is worded as (0 when none asked)."""
    if not question.asks:
        return 0.0
    return sum(any(states(k, s.text) for s in win.sentences) for k in question.asks) / len(question.asks)


def _distinct_front(ranked: list[Window], n: int) -> list[Window]:
    """The ``n`` best windows, also keeping each article's best few so a lower article can still
    win on meaning."""
    head: list[Window] = []
    per_article: dict[int, int] = {}
    several = len({w.article_rank for w in ranked}) > 1
    for win in ranked:
        if len(head) >= n:
            break
        if several and per_article.get(win.article_rank, 0) >= max(3, n // 2):
            continue
        head.append(win)
        per_article[win.article_rank] = per_article.get(win.article_rank, 0) + 1
    return head
