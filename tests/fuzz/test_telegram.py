"""Fuzzing bots/telegram/render.py: every renderer writes valid Telegram HTML that shows the text
it was given, and split_html keeps every part within the limit, valid, and loses no text. Then
the faults fuzzing found."""

from __future__ import annotations

from hypothesis import example

from assistant.models import Answer, AudioClip, AudioFormat, Citation, Issue, IssueListing
from bots.telegram import render
from evals import fuzz_targets as t
from tests.fakes.bot_api import html_problem
from tests.fuzz import fuzz


@fuzz(t.SPLIT_HTML)
@example(("leaders\rleaders", 4096))
@example(("a\xa0b\u2028c\x85d", 32))
@example(("<b>" + "😀" * 40 + "</b>", 32))
def test_split_html_keeps_parts_valid_within_the_limit_and_loses_no_text(value):
    t.SPLIT_HTML.check(value)
    for part in render.split_html(*value):  # the Bot API stand-in the channel tests use agrees
        assert html_problem(part) is None


@fuzz(t.TELEGRAM_ANSWER)
def test_answers_render_as_valid_html_that_splits_cleanly(answer):
    t.TELEGRAM_ANSWER.check(answer)


@fuzz(t.TELEGRAM_LISTING)
def test_issues_articles_and_hits_render_as_valid_html(value):
    t.TELEGRAM_LISTING.check(value)


@fuzz(t.TELEGRAM_CAPTION)
def test_captions_are_valid_html_within_the_caption_limit(value):
    t.TELEGRAM_CAPTION.check(value)


@fuzz(t.TELEGRAM_PREVIEW)
@example(("😀", 1))
def test_previews_fit_their_limit(value):
    t.TELEGRAM_PREVIEW.check(value)


# --- faults fuzzing found ---------------------------------------------------------------------


def test_odd_whitespace_between_words_survives_a_split():
    # _TOKEN matched no whitespace but space, tab and "\n": "\r" and no-break spaces vanished,
    # gluing the words around them ("leaders\rleaders" was sent as "leadersleaders").
    for text in ["one\rtwo", "one\xa0two", "one\u2028two", "one\u3000two"]:
        assert render.split_html(text) == [text]
    parts = render.split_html(("word\xa0" * 50).strip(), 64)
    assert " ".join(" ".join(parts).split()) == " ".join(("word " * 50).split())


def test_lone_surrogates_are_replaced_not_sent_or_a_crash():
    # utf16_len raised UnicodeEncodeError, and the HTML could not be sent as UTF-8.
    citation = Citation(
        n=1,
        article_id="a",
        title="T\ud83d",
        author=None,
        magazine=None,
        published=None,
        week=1,
        issue_dates="",
        issue_url=None,
        url="https://x.org/\ud800",
        quote="",
    )
    out = render.answer_html(Answer(question="q", text="Cut mid-emoji \ud83d", citations=[citation]))
    out.encode("utf-8")
    assert "Cut mid-emoji \ufffd" in out and '<a href="https://x.org/">T\ufffd</a>' in out
    assert render.utf16_len("\ud800😀") == 3 and render.split_html("a\ud800b") == ["a\ud800b"]
    clip = AudioClip(path="p", format=AudioFormat.MP3, duration=1, sample_rate=1, engine="e", voice="v")
    render.episode_caption(IssueListing(issue=Issue(dates="\ud800"), articles=[]), clip).encode("utf-8")


def test_a_preview_shorter_than_one_emoji_ends():
    # max(1, ...) kept the one emoji (two units) over a limit of one unit: an endless loop.
    assert render.preview_text("😀", limit=1) == " …"
