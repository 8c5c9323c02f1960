import json
from datetime import date
from pathlib import Path

import pytest

from assistant.errors import SourceError
from index.documents import SourceDocument
from index.parse import parse_document

FIXTURES = Path(__file__).parent / "fixtures"


def parse(content: str):
    return parse_document(SourceDocument(name="recs.jsonl", kind="jsonl", content=content))


def test_records_fixture():
    path = FIXTURES / "records.jsonl"
    first, second = parse_document(
        SourceDocument(name="records.jsonl", kind="jsonl", content=path.read_text(encoding="utf-8"))
    )
    assert first.id == "w200-the-long-view"
    assert first.summary == ["First paragraph.", "Second paragraph."]  # one paragraph per line
    assert (first.author, first.magazine, first.published) == (
        "Ada Quillfeather",
        "Northfield Management Review",
        date(2021, 12, 29),
    )
    assert first.url == "https://northfield.example/long-view"
    issue = first.issue
    assert (issue.week, issue.dates, issue.url) == (
        200,
        "December 31, 2021 to January 6, 2022",
        "https://informedi.org/2022/01/06/week-200/",
    )
    assert (issue.start, issue.end) == (date(2021, 12, 31), date(2022, 1, 6))  # a range across the new year

    assert (second.summary, second.takeaways, second.topics) == (["Only paragraph."], ["One.", "Two."], ["Rates"])
    assert (second.author, second.published) == (None, None)
    # The week is read from issue_dates when the record has none.
    assert (second.issue.week, second.issue.dates, second.issue.start) == (373, "November 1-7, 2024", date(2024, 11, 1))
    assert (first.source, first.position, second.position) == ("records.jsonl", 0, 1)


def test_issue_dates_that_are_not_a_range_are_kept():
    [article] = parse('{"id": "a", "title": "T", "summary": "S", "issue_dates": "early November"}')
    assert (article.issue.dates, article.issue.start) == ("early November", None)


@pytest.mark.parametrize(
    "lines, message",
    [
        (['{"id": "a", "title": "T", "summary": "S"}', "", "{oops"], "recs.jsonl: line 3: invalid JSON: "),
        (['{"title": "T", "summary": "S"}'], "recs.jsonl: line 1: missing required field 'id'"),
        (['{"id": "a", "summary": "S"}'], "recs.jsonl: line 1: missing required field 'title'"),
        (['{"id": "a", "title": "T"}'], "recs.jsonl: line 1: missing required field 'summary'"),
        (['{"id": "a", "title": "T", "summary": []}'], "recs.jsonl: line 1: missing required field 'summary'"),
        (['{"id": "a", "title": "T", "summary": [1]}'], "line 1: field 'summary' must be a list of strings"),
        (
            ['{"id": "a", "title": "T", "summary": "S", "topics": "x"}'],
            "line 1: field 'topics' must be a list of strings",
        ),
        (
            ['{"id": "a", "title": "T", "summary": "S", "published": "29/10/2024"}'],
            "line 1: field 'published' is not a YYYY-MM-DD date",
        ),
        (['{"id": "a", "title": "T", "summary": "S", "week": "x"}'], "line 1: field 'week' must be an integer"),
        (
            ['{"id": "a", "title": "T", "summary": "S", "week": 18446744073709551616}'],
            "line 1: field 'week' must be between 0 and 99999, got 18446744073709551616",
        ),
        (['{"id": "a", "title": "T", "summary": "S", "week": -3}'], "line 1: field 'week' must be between 0 and 99999"),
        (['{"id": 5, "title": "T", "summary": "S"}'], "line 1: field 'id' must be a string"),
        (["[1, 2]"], "line 1: expected a JSON object, got list"),
        (
            ['{"id": "a", "title": "T", "summary": "S"}', '{"id": "a", "title": "U", "summary": "S"}'],
            "line 2: duplicate id 'a' (first on line 1)",
        ),
    ],
)
def test_record_errors_name_the_line(lines, message):
    with pytest.raises(SourceError) as err:
        parse("\n".join(lines))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_week_as_digits_and_blank_lines():
    content = "\n\n" + json.dumps({"id": "x", "title": "T", "summary": "S", "week": "12"}) + "\n\n"
    [article] = parse(content)
    assert article.issue.week == 12
