"""What is spoken: speech-text normalisation and the scripts of an article, an issue and an answer."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.models import Answer, Article, Citation, Issue, IssueListing
from assistant.speech.normalize import speech_text
from assistant.speech.script import answer_script, article_script, byline, issue_intro, issue_script
from tests.conftest import SEED_ARTICLE_ID

ISSUE_373 = Issue(week=373, dates="November 1-7, 2024", start=date(2024, 11, 1), end=date(2024, 11, 7))


@pytest.mark.parametrize(
    "raw, spoken",
    [
        ("Read more at https://example.org/a?b=1 today.", "Read more at today."),
        ("See [the report](https://x.org/r) now.", "See the report now."),
        ("**Bold** and _plain_ and `code`.", "Bold and _plain_ and code."),
        ("• first point\n- second point\n1. third point", "first point\nsecond point\nthird point"),
        ("A summary. (Copyright lies with the publisher)", "A summary."),
        ("“Quoted” and ‘single’ — with a dash", "\"Quoted\" and 'single', with a dash"),
        ("November 1-7, 2024", "November 1 to 7, 2024"),
        ("Margins rose 44% in Q3.", "Margins rose 44 percent in the third quarter."),
        ("GenAI tools", "Gen A I tools"),
        ("AI at work", "A I at work"),
        ("ESG and CEOs", "E S G and C E Os"),
        ("A $5bn deal and €3.2 million", "A 5 billion dollars deal and 3.2 million euros"),
        ("Since the 1990s", "Since the 19 nineties"),
        ("Tariffs, e.g. on steel, vs. quotas", "Tariffs, for example on steel, versus quotas"),
        ("as seen in [1] and [2, 3].", "as seen in and."),
        ("12,000 workers", "12000 workers"),
    ],
)
def test_speech_text_normalises(raw, spoken):
    assert speech_text(raw) == spoken


def test_speech_text_is_idempotent():
    text = "Margins rose 44% in Q3 — see https://x.org. (Copyright lies with the publisher)"
    once = speech_text(text)
    assert speech_text(once) == once


def test_seed_article_script(sample_assistant):
    article = sample_assistant.show(SEED_ARTICLE_ID)
    assert byline(article) == "by Lynda Gratton, in MIT Sloan Management Review, October 29, 2024"
    lines = article_script(article).text.splitlines()
    assert lines[0] == "Building Mastery: What Leaders Do That Helps, or Impedes."
    assert lines[1] == "By Lynda Gratton, in M I T Sloan Management Review, October 29, 2024."
    assert lines[2] == "Three key takeaways."
    assert lines[3].startswith("This is a time when we are all asking")
    assert "Summary." in lines
    assert lines[lines.index("Summary.") + 1].startswith(speech_text(article.summary[0])[:40])
    assert not any("http" in line or "Copyright" in line for line in lines)


def _article(n: int, **extra) -> Article:
    return Article(
        id=f"w373-a{n}",
        title=f"Article number {n}",
        author=f"Author {n}",
        magazine="The Meridian",
        published=date(2024, 10, 20 + n % 8),
        takeaways=[f"Takeaway {n}a.", f"Takeaway {n}b."],
        summary=[f"Summary of article {n}."],
        issue=ISSUE_373,
        position=n,
        **extra,
    )


def test_issue_intro_and_chapters():
    listing = IssueListing(issue=ISSUE_373, articles=[_article(n) for n in range(10)])
    assert issue_intro(listing) == (
        "Informed i's Weekly Business Insights, week 373, November 1 to 7, 2024. Ten articles."
    )
    script = issue_script(listing)
    assert [p.title for p in script.parts] == ["Introduction"] + [f"Article number {n}" for n in range(10)]
    first = script.parts[1].text
    assert first.startswith("Article 1 of 10: Article number 0.")
    assert "By Author 0, in The Meridian" in first and "Two key takeaways." in first
    assert "Summary of article 0" not in first  # the summaries come only with full=True
    assert "Summary of article 0." in issue_script(listing, full=True).parts[1].text


def test_answer_script_drops_markers_and_links():
    citation = Citation(
        n=1,
        article_id=SEED_ARTICLE_ID,
        title="Building Mastery: What Leaders Do That Helps — or Impedes",
        author="Lynda Gratton",
        magazine="MIT Sloan Management Review",
        published=date(2024, 10, 29),
        week=373,
        issue_dates="November 1-7, 2024",
        issue_url=None,
        url="https://sloanreview.mit.edu/x",
        quote="q",
    )
    answer = Answer(
        question="q?",
        text="Leaders **hoard** expertise [1]. More at https://sloanreview.mit.edu/x [1]",
        citations=[citation],
    )
    text = answer_script(answer).text
    assert text == "Leaders hoard expertise. More at.\nSources: Building Mastery."
