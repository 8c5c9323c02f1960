"""Fuzzing bots/web/render.py and bots/web/feed.py: hostile digest text never becomes markup (no
script, no event handler, no javascript: link), Listen buttons load the article they show, and
the podcast feed is always XML that links only http(s). Then the faults fuzzing found."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from hypothesis import example

from assistant.models import Answer, Article, Citation, Issue, IssueListing
from bots.web import render
from evals import fuzz_targets as t
from tests.fuzz import fuzz


def citation(article_id: str) -> Citation:
    return Citation(
        n=1,
        article_id=article_id,
        title="T",
        author=None,
        magazine=None,
        published=None,
        week=1,
        issue_dates="",
        issue_url=None,
        url=None,
        quote="",
    )


@fuzz(t.WEB_ANSWER)
@example(Answer(question="", text="", citations=[citation("a\nb")]))
def test_source_cards_are_escaped_and_listen_to_their_article(answer):
    t.WEB_ANSWER.check(answer)


@fuzz(t.WEB_LISTING)
def test_issue_cards_are_escaped_and_listen_to_their_article(value):
    t.WEB_LISTING.check(value)


@fuzz(t.FEED)
def test_the_podcast_feed_is_xml_with_http_links_only(value):
    t.FEED.check(value)


# --- faults fuzzing found ---------------------------------------------------------------------


def test_listen_buttons_percent_encode_the_article_id():
    # JSONL ids are free text: "a?b" fetched /listen/article/a, and browsers drop a newline from
    # a URL, so "a\nb" fetched the audio of article "ab".
    ids = ["a?b", "a#b", "a\nb", "a b%", "../x", "w373-building-mastery"]
    listing = IssueListing(issue=Issue(week=1), articles=[Article(id=i, title="T") for i in ids])
    out = render.issue_html(listing, None)
    srcs = [part.split('"', 1)[0] for part in out.split('data-src="')[1:]]
    assert [unquote(urlsplit(src).path) for src in srcs] == [f"/listen/article/{i}.mp3" for i in ids]
    assert all(urlsplit(src).query == urlsplit(src).fragment == "" for src in srcs)
    assert 'data-src="/listen/article/w373-building-mastery.mp3"' in out  # slugs are unchanged
