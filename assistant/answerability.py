"""Does the best evidence answer the question? The judge every answer path passes first.

One similarity score cannot tell "an article on the topic" from "an article that answers": a
question about a named bank's failure scores well against a recession article. So the judge
weighs several signals, each cheap and already at hand:

- the relevance gate (the best article's evidence score), as before;
- names: a company, country, person or model number in the question that the article never
  mentions (a near-topic question hinges on exactly that);
- the best quote window's own meaning (its cosine to the question) and how much of the
  question's focus it holds;
- words the digest never uses at all;
- whether the keyword and the dense sides agree on the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.keyword import KeywordIndex
from assistant.models import Hit
from assistant.questions import Question
from assistant.quoting import Window
from assistant.settings import AnswerSettings
from assistant.terms import analyze


@dataclass
class Verdict:
    answerable: bool
    reason: str
    signals: dict[str, float] = field(default_factory=dict)


def article_vocabulary(hit: Hit, keywords: KeywordIndex) -> frozenset[str]:
    """Every stem the article holds, its byline included ("Meridian", an author's name)."""
    a = hit.article
    own = keywords.article_terms.get(a.id)
    byline = analyze(" ".join(p for p in (a.title, a.magazine, a.author, *a.topics) if p))
    if own is None:
        own = frozenset(analyze(" ".join([*a.takeaways, *a.summary])))
    return own | frozenset(byline)


# Names an article may spell another way ("US" in a question, "American" in the article).
_ALIASES = [
    {"us", "usa", "america", "american", "americans", "unit", "state"},
    {"uk", "britain", "british", "england", "english"},
    {"eu", "europ", "european", "europeans"},
    {"ai", "artifici", "intellig"},
]


def missing_names(question: Question, hit: Hit, keywords: KeywordIndex) -> list[str]:
    """The question's names the article never mentions. A name of several words must appear as
    written ("European Central Bank", not "central bank" and "European" apart), or, for a
    person, by surname; one word may appear in another form ("Midwestern" / "Midwest") or as
    a common alias ("US" / "American")."""
    text = _plain(article_text(hit))
    vocabulary = article_vocabulary(hit, keywords)
    missing = []
    for name in question.names:
        words = name.split()
        if len(words) == 1:
            found = all(_mentions(stem, vocabulary) for stem in analyze(name))
        else:
            found = _phrase(name, text) or (len(words) == 2 and _phrase(words[-1], text) and words[-1][0].isupper())
        if not found:
            missing.append(name)
    return missing


def article_text(hit: Hit) -> str:
    a = hit.article
    return " ".join(p for p in (a.title, a.magazine, a.author, *a.topics, *a.takeaways, *a.summary) if p)


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[’']s\b", "", text.lower()).replace("’", "'").split())


def _phrase(name: str, text: str) -> bool:
    return re.search(r"\b" + re.escape(_plain(name)) + r"\b", text) is not None


def _mentions(word: str, vocabulary: frozenset[str]) -> bool:
    if word in vocabulary:
        return True
    if len(word) >= 5 and any(len(t) >= 5 and (t.startswith(word) or word.startswith(t)) for t in vocabulary):
        return True
    return any(word in group and group & vocabulary for group in _ALIASES)


def predates(question: Question, hit: Hit) -> bool:
    """Whether the article appeared before every year the question asks about and names none of
    them: a 2021 piece cannot report the bank failures of 2023."""
    if not question.years:
        return False
    a = hit.article
    when = a.published or a.issue.start
    if when is None:
        return False
    text = article_text(hit)
    return all(when.year < year and str(year) not in text for year in question.years)


def lacks_names(question: Question, hit: Hit, keywords: KeywordIndex) -> bool:
    """Whether the article misses every name the question hinges on."""
    return bool(question.names) and len(missing_names(question, hit, keywords)) == len(question.names)


def unknown_share(question: Question, keywords: KeywordIndex) -> float:
    """Share of the question's words (names aside: they are checked one by one) that the digest
    never uses anywhere."""
    named = {stem for name in question.names for stem in analyze(name)}
    stems = set(question.stems) - named
    if not stems:
        return 0.0
    return sum(1 for s in stems if keywords.doc_freq.get(s, 0) == 0) / len(stems)


def judge(
    question: Question,
    hits: list[Hit],
    best: Window | None,
    keywords: KeywordIndex,
    knobs: AnswerSettings,
    filtered: bool = False,
) -> Verdict:
    """Whether ``hits`` (relevant ones, best first) with ``best`` (their best quote window) answer.
    ``filtered``: the user narrowed the search (a magazine, weeks...), which is evidence of its own
    of what they want, so less support is asked for."""
    if not hits:
        return Verdict(False, "no article passed the relevance gate")
    top = hits[0]
    signals = {
        "evidence": top.score,
        "meaning": best.meaning if best is not None and best.meaning is not None else 0.0,
        "focus": best.lexical if best is not None else 0.0,
        "unknown": unknown_share(question, keywords),
        "agree": float(top.dense_rank is not None and top.keyword_rank is not None),
    }
    if best is None:
        return Verdict(False, "no quotable sentence", signals)
    if predates(question, top):
        return Verdict(False, f"the article was published before {', '.join(map(str, question.years))}", signals)
    absent = missing_names(question, top, keywords)
    # A missing name is forgiven only when the quote holds most of what the question asks (a
    # paraphrase may name the country where the article names the city).
    if absent and (signals["focus"] < knobs.judge_name_forgiven or signals["meaning"] < knobs.judge_name_forgiven):
        return Verdict(False, f"the article never names {', '.join(absent)}", signals)
    support = (
        knobs.judge_evidence_weight * signals["evidence"]
        + (1 - knobs.judge_evidence_weight) * signals["meaning"]
        + knobs.judge_focus_weight * signals["focus"]
        - knobs.judge_unknown_weight * signals["unknown"]
    )
    if not signals["agree"]:
        support -= knobs.judge_disagree_penalty
    signals["support"] = support
    floor = knobs.judge_min_support - (knobs.judge_filtered_slack if filtered else 0.0)
    if support < floor:
        return Verdict(False, f"the best quote does not address the question (support {support:.2f})", signals)
    return Verdict(True, "answers", signals)
