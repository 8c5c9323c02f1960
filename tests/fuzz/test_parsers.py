"""Fuzzing index/parse: any document parses or raises SourceError, what parses is safe and
well-formed, and pages written from a model parse back to it. Then the faults fuzzing found."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import example

from assistant.errors import SourceError
from evals import fuzz_targets as t
from index.documents import SourceDocument
from index.parse import parse_document, parse_page_text
from index.reading import make_documents
from tests.fuzz import fuzz

# bs4 warns when hostile HTML looks like a URL or a file name; parsing it is the point here.
pytestmark = pytest.mark.filterwarnings("ignore::bs4.MarkupResemblesLocatorWarning")
HEADER = "Week 373, November 1-7, 2024"
BYLINE = "By Lynda Gratton | MIT Sloan Management Review | October 29, 2024"


def doc(kind: str, content: str) -> SourceDocument:
    return SourceDocument(name="fuzz", kind=kind, content=content)


@fuzz(t.PARSE_TEXT)
@example(doc("text", f"{HEADER}\nX\n{BYLINE}\nOne.\nX\n{BYLINE}\nTwo.\nX 2\n{BYLINE}\nThree."))
def test_page_text_parses_or_says_why(document):
    t.PARSE_TEXT.check(document)


@fuzz(t.PARSE_HTML)
@example(doc("html", "<div>\ud800"))
def test_html_parses_or_says_why(document):
    t.PARSE_HTML.check(document)


@fuzz(t.PARSE_JSON)
@example(doc("wp-json", '{"content": ""}'))
@example(doc("wp-json", '{"content": "<p>x</p>", "title": {"rendered": "\\ud800"}}'))
def test_json_parses_or_says_why(document):
    t.PARSE_JSON.check(document)


@fuzz(t.PARSE_JSONL)
@example(doc("jsonl", '{"id": "\\u0000", "title": "t", "summary": "s"}'))
@example(doc("jsonl", '{"id": "a", "title": "t", "summary": "s", "week": "²"}'))
def test_json_lines_parse_or_say_why(document):
    t.PARSE_JSONL.check(document)


@fuzz(t.PARSE_ANY_KIND)
def test_any_content_as_any_kind_parses_or_says_why(document):
    t.PARSE_ANY_KIND.check(document)


@fuzz(t.READ_AND_PARSE)
def test_content_of_unknown_kind_is_sniffed_split_and_parsed(text):
    t.READ_AND_PARSE.check(text)


@fuzz(t.TEXT_PAGE)
def test_page_text_written_from_a_model_parses_back(page):
    t.TEXT_PAGE.check(page)


@fuzz(t.HTML_PAGE)
def test_html_written_from_a_model_parses_back(page):
    t.HTML_PAGE.check(page)


@fuzz(t.WORDPRESS)
def test_wordpress_posts_written_from_models_parse_back(value):
    t.WORDPRESS.check(value)


@fuzz(t.RECORDS)
@example([{"id": "r0-", "title": "T", "summary": "S", "topics": ["\x00"], "author": "\x00"}])
@example([{"id": "r0-", "title": "T", "summary": "S \u2028 more", "topics": ["\u2028"]}])
def test_json_lines_written_from_records_parse_back(records):
    t.RECORDS.check(records)


@fuzz(t.DATE_RANGES)
def test_week_headers_written_from_dates_read_back(value):
    t.DATE_RANGES.check(value)


@fuzz(t.DATES)
def test_dates_written_as_the_digest_does_read_back(value):
    t.DATES.check(value)


@fuzz(t.DATES_ANY)
@example(("Week 5, January 0-5", date(2024, 1, 10)))
@example(("Week 5, December 28 - January 3", date.max))
def test_date_parsers_never_raise_and_never_reverse_a_range(value):
    t.DATES_ANY.check(value)


# --- faults fuzzing found ---------------------------------------------------------------------


def test_a_title_repeated_next_to_its_numbered_twin_keeps_every_article():
    # "X", "X", "X 2" gave ids x, x-2, x-2: the ingest kept one of the last two.
    text = f"{HEADER}\nX\n{BYLINE}\nOne.\nX\n{BYLINE}\nTwo.\nX 2\n{BYLINE}\nThree."
    articles = parse_page_text(text, name="page.txt")
    assert [a.summary for a in articles] == [["One."], ["Two."], ["Three."]]
    assert len({a.id for a in articles}) == 3


def test_a_lone_surrogate_in_html_is_replaced_not_a_crash():
    # lxml cannot encode "\ud800": the whole post failed with UnicodeEncodeError.
    post = {
        "title": {"rendered": f"Weekly – {HEADER} \ud83d"},
        "content": {"rendered": f"<h2>Title \ud83d</h2><p>{BYLINE}</p><p>Summary \udc00.</p>"},
    }
    [document] = make_documents(json.dumps(post), "wp-json", "post.json", None)
    assert isinstance(document, SourceDocument)
    [article] = parse_document(document)
    assert article.title == "Title \ufffd" and article.summary == ["Summary \ufffd."]


def test_a_post_whose_content_is_a_string_is_read_as_its_html():
    # {"content": "<p>...</p>"} passed the post check, then content["rendered"] raised TypeError.
    post = {"title": HEADER, "content": f"<h2>Title</h2><p>{BYLINE}</p><p>Summary.</p>"}
    [article] = parse_document(doc("wp-json", json.dumps(post)))
    assert article.title == "Title"
    with pytest.raises(SourceError):
        parse_document(doc("wp-json", '{"content": ""}'))


def test_json_lines_split_at_newlines_only():
    # splitlines() also cut at U+2028, U+0085 and \x1c, which JSON strings may hold raw.
    record = {"id": "a", "title": "Title", "summary": "One\u2028two\x85three", "topics": ["x\u2029y", "\x1c"]}
    [article] = parse_document(doc("jsonl", json.dumps(record, ensure_ascii=False) + "\r\n"))
    assert article.summary == ["One", "two", "three"] and article.topics == ["x\u2029y"]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"id": "\x00\u200b", "title": "t", "summary": "s"}, "missing required field 'id'"),
        ({"id": "a", "title": "\x01", "summary": "s"}, "missing required field 'title'"),
        ({"id": "a", "title": "t", "summary": ["\x00", "\ufeff"]}, "missing required field 'summary'"),
        ({"id": "a", "title": "t", "summary": "s", "week": "²"}, "field 'week' must be an integer"),
    ],
)
def test_json_line_fields_empty_once_cleaned_are_missing(record, reason):
    # An id of controls became "" (an article with an empty id); "²".isdigit() but int("²") raised.
    with pytest.raises(SourceError, match=reason):
        parse_document(doc("jsonl", json.dumps(record)))


def test_json_line_values_empty_once_cleaned_are_dropped():
    record = {"id": "a", "title": "t", "summary": "s\n\x00\n", "topics": ["\x00", "ok"], "author": "\x07"}
    [article] = parse_document(doc("jsonl", json.dumps(record)))
    assert (article.summary, article.topics, article.author) == (["s"], ["ok"], None)


@pytest.mark.parametrize(
    ("header", "near", "dates"),
    [
        ("Week 5, May 5-0", date(2024, 1, 10), (None, None)),  # day 0: ValueError
        ("Week 5, December 28 - January 3", date.max, (date(9998, 12, 28), date(9999, 1, 3))),  # OverflowError
        ("Week 5, December 28 - January 3", date(2025, 1, 5), (date(2024, 12, 28), date(2025, 1, 3))),
    ],
)
def test_a_range_without_a_year_near_any_post_date_is_read_or_left_undated(header, near, dates):
    # The year comes from the post's date ("near"): a day 0 or a date near date.max raised.
    post = {"date": near.isoformat(), "content": {"rendered": f"<p>{header}</p><h2>T</h2><p>{BYLINE}</p><p>S.</p>"}}
    [article] = parse_document(doc("wp-json", json.dumps(post)))
    assert (article.issue.start, article.issue.end) == dates
