"""Search and extractive answers over the bundled sample digest."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.errors import EmptyQuestion, QuestionTooLong
from assistant.models import SearchFilters
from assistant.quoting import quotable
from assistant.sentences import split_sentences
from tests.conftest import SEED_ARTICLE_ID, SEED_QUESTION


def article_sentences(article) -> set[str]:
    texts = [*article.takeaways, *article.summary]
    return {quotable(s) for t in texts for s in split_sentences(t)}


def test_seed_question_cites_the_mastery_article_first(sample_assistant):
    answer = sample_assistant.ask(SEED_QUESTION)
    first = answer.citations[0]
    assert answer.found and answer.mode == "extractive"
    assert first.n == 1 and first.article_id == SEED_ARTICLE_ID
    assert first.title == "Building Mastery: What Leaders Do That Helps — or Impedes"
    assert (first.week, first.issue_dates, first.author) == (373, "November 1-7, 2024", "Lynda Gratton")
    assert first.reference == (
        "Week 373, November 1-7, 2024 · Building Mastery: What Leaders Do That Helps — or Impedes"
        " · Lynda Gratton · MIT Sloan Management Review"
    )
    assert "[1]" in answer.text and "mastery" in first.quote.lower()


def test_every_quoted_sentence_is_verbatim_from_its_cited_article(sample_assistant):
    for question in (
        SEED_QUESTION,
        "How are tariffs changing where factories are built?",
        "Why do AI projects stall before production?",
        "What should boards ask about AI?",
    ):
        answer = sample_assistant.ask(question)
        assert answer.citations, question
        for citation in answer.citations:
            article = sample_assistant.show(citation.article_id)
            sentences = article_sentences(article)
            # Each piece is a run of adjacent whole sentences (a lead-in travels with its completion).
            text = " ".join(" ".join(b.split()) for b in [*article.takeaways, *article.summary])
            for quoted in citation.quote.split(" … "):
                assert quoted in text, (question, citation.article_id, quoted)
                for sentence in split_sentences(quoted):
                    assert sentence in sentences, (question, citation.article_id, sentence)
                assert quoted in answer.text
        # Markers are numbered from 1 in order of first use, one per citation.
        markers = [f"[{c.n}]" for c in answer.citations]
        assert [c.n for c in answer.citations] == list(range(1, len(markers) + 1))
        positions = [answer.text.index(m) for m in markers]
        assert positions == sorted(positions)


@pytest.mark.parametrize(
    "question",
    [
        "What is a good recipe for sourdough bread?",
        "Who won the football world cup in 1998?",
        "How do I fix a leaking kitchen tap?",
        "What are the symptoms of the flu in children?",
    ],
)
def test_off_topic_questions_are_declined_plainly(sample_assistant, question):
    answer = sample_assistant.ask(question)
    assert not answer.found and answer.citations == []
    assert "nothing" in answer.text


def test_filters_apply_to_search_and_ask(sample_assistant):
    hits = sample_assistant.search(
        "tariffs and manufacturing", SearchFilters(magazine="the meridian", since=date(2024, 1, 1)), top_k=10
    )
    assert hits and all(h.article.magazine == "The Meridian" for h in hits)
    assert all((h.article.published or h.article.issue.start) >= date(2024, 1, 1) for h in hits)
    assert hits[0].article.id in {
        "w374-can-tariffs-rebuild-the-factory-floor",
        "w386-tariff-threats-are-already-redrawing-factory-maps",
    }

    week = sample_assistant.search("artificial intelligence", SearchFilters(week_from=386, week_to=386), top_k=10)
    assert week and {h.article.issue.week for h in week} == {386}

    topic = sample_assistant.search("costs", SearchFilters(topic="interest rates"), top_k=10)
    assert topic and all("interest rates" in [t.lower() for t in h.article.topics] for h in topic)

    author = sample_assistant.search("anything about work", SearchFilters(author="Marcus Lindgren"), top_k=10)
    assert {h.article.author for h in author} == {"Marcus Lindgren"}

    until = sample_assistant.search("supply chains", SearchFilters(until=date(2021, 12, 31)), top_k=10)
    assert until and all((h.article.published or h.article.issue.start).year <= 2021 for h in until)

    answer = sample_assistant.ask("What did they say about tariffs?", filters=SearchFilters(week_from=374, week_to=374))
    assert answer.citations and {c.week for c in answer.citations} == {374}


def test_a_filter_that_matches_nothing_explains_itself(sample_assistant):
    filters = SearchFilters(magazine="No Such Magazine")
    assert sample_assistant.search("tariffs", filters) == []
    answer = sample_assistant.ask("tariffs", filters=filters)
    assert not answer.found and "filters" in answer.text


def test_a_follow_up_uses_the_previous_question(sample_assistant):
    first = "How do points-and-miles programmes make money for companies?"
    answer = sample_assistant.ask("And what happened when an airline devalued them?", history=[first])
    assert answer.citations[0].article_id == "w374-loyalty-programs-are-quietly-turning-into-banks"


def test_bad_questions_raise_domain_errors(sample_assistant):
    with pytest.raises(EmptyQuestion):
        sample_assistant.ask("   \n ")
    with pytest.raises(QuestionTooLong):
        sample_assistant.ask("why " * 1000)


def test_issues_are_listed_newest_first_with_page_order(sample_assistant):
    listings = sample_assistant.issues()
    weeks = [x.issue.week for x in listings]
    assert weeks == sorted(weeks, reverse=True)
    assert set(weeks) >= {203, 225, 231, 373, 374, 386, 420, 421, 434, 454}
    assert sum(len(x.articles) for x in listings) >= 40
    week_374 = sample_assistant.issue(374)
    assert week_374.articles[0].magazine == "The Meridian"
    assert [a.position for a in week_374.articles] == sorted(a.position for a in week_374.articles)
