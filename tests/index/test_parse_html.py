import json
from datetime import date
from pathlib import Path

import pytest

from assistant.errors import NotADigestPage, SourceError
from index.documents import SourceDocument
from index.parse import html_to_lines, parse_document, parse_wordpress_posts

FIXTURES = Path(__file__).parent / "fixtures"
FURNITURE = [
    "Click for",
    "Extractive Summary",
    "Copyright lies",
    "show less",
    "Leave a Reply",
    "logged in",
    "key takeaways",
    "Topics:",
    "edition in audio",
    "Posted in",
    "Proudly powered",
    "Week 419",
]


def doc(name: str, kind: str, url: str | None = None) -> SourceDocument:
    return SourceDocument(name=name, kind=kind, content=(FIXTURES / name).read_text(encoding="utf-8"), url=url)


def assert_no_furniture(article):
    for text in [
        article.title,
        article.author or "",
        article.magazine or "",
        *article.takeaways,
        *article.topics,
        *article.summary,
    ]:
        assert "\u00a0" not in text
        for phrase in FURNITURE:
            assert phrase.lower() not in text.lower(), (phrase, text)


def test_html_page_with_links_lists_and_chrome():
    first, second = parse_document(doc("week-420-2025.html", "html"))
    issue = first.issue
    # The sidebar's "Week 419" and the script's "Week 999" are not the header.
    assert (issue.week, issue.dates, issue.start, issue.end) == (
        420,
        "September 26 – October 4, 2025",
        date(2025, 9, 26),
        date(2025, 10, 4),
    )
    assert issue.url == "https://informedi.org/2025/10/04/week-420/"  # canonical wins over og:url
    assert (first.title, first.author, first.magazine, first.published) == (
        "The Four-Day Week, Measured",
        "Hanne Rask",
        "Northfield Management Review",
        date(2025, 9, 23),
    )
    assert first.url == "https://northfield.example/four-day-week"
    assert first.listen_url == "https://informedi.org/audio/four-day-week.mp3"
    assert first.takeaways == [
        "Output held steady in 92% of the firms studied.",
        "Sick days fell by a quarter.",
        "The gains faded where managers added meetings back.",
    ]
    assert first.topics == ["Work Design", "Productivity", "Well-being"]
    assert first.summary == [
        "Sixty firms tried a four-day week for six months.",
        "Most kept it.",
        "Some went back.",
        "The authors call it “a management test, not a calendar trick.”",
    ]

    assert (second.title, second.author, second.magazine) == ("Pricing Water", None, "The Meridian")
    assert second.url == "https://meridian.example/water"  # the linked title stands in for "Read"
    assert second.listen_url == "https://informedi.org/audio/water.mp3"  # an <audio> player
    assert second.takeaways == ["Water is underpriced almost everywhere.", "Tiered tariffs protect the poor."]
    # <br> splits paragraphs; comments and footers after the post are dropped.
    assert second.summary == [
        "Cities that priced water by use cut demand by a fifth.",
        "Leaks, not households, were the biggest users.",
    ]
    for article in (first, second):
        assert_no_furniture(article)


def test_document_url_wins_over_canonical():
    [first, _] = parse_document(doc("week-420-2025.html", "html", url="https://informedi.org/?p=9420"))
    assert first.issue.url == "https://informedi.org/?p=9420"


def test_html_to_lines_marks_list_items():
    lines, meta = html_to_lines("<ol start='2'><li>a</li><li>b</li></ol><ul><li>c</li></ul><p>x<br>y</p>")
    assert [line.text for line in lines] == ["2. a", "3. b", "- c", "x", "y"]
    assert meta.url is None


def test_wordpress_list_keeps_good_posts_and_reports_bad_ones():
    results = parse_wordpress_posts(doc("wp-posts.json", "wp-json"))
    assert [name for name, _ in results] == [
        "https://informedi.org/2026/01/08/week-434/",
        "https://informedi.org/about/",
    ]
    articles, error = results[0][1], results[1][1]
    assert isinstance(error, NotADigestPage)
    assert str(error) == "https://informedi.org/about/: no 'Week N' issue header found"
    [article] = articles
    # The week comes from title.rendered, the address from "link".
    assert (article.issue.week, article.issue.dates) == (434, "January 02-08, 2026")
    assert (article.issue.start, article.issue.end) == (date(2026, 1, 2), date(2026, 1, 8))
    assert article.issue.url == "https://informedi.org/2026/01/08/week-434/"
    assert (article.title, article.author, article.magazine, article.published) == (
        "Ledger Habits of Family Firms",
        "Lucia Ferrand",
        "Northfield Management Review",
        date(2026, 1, 5),
    )
    assert article.url == "https://northfield.example/ledger"
    assert article.listen_url is None  # "Listen" without a link
    assert article.takeaways == ["Family firms keep more cash.", "They borrow less in booms."]
    assert article.summary == ["Family firms hold twice the cash of their listed peers."]
    assert article.source == "wp-posts.json"
    assert parse_document(doc("wp-posts.json", "wp-json")) == articles


def test_wordpress_single_post_and_year_from_post_date():
    post = {
        "date": "2025-01-03T09:00:00",
        "title": {"rendered": "Week 381 &#8211; December 28 &#8211; January 3"},
        "content": {"rendered": "<p>T</p><p>The Meridian | December 30, 2024</p><p>Body.</p>"},
    }
    [article] = parse_document(
        SourceDocument(name="p.json", kind="wp-json", content=json.dumps(post), url="https://informedi.org/?p=1")
    )
    assert (article.issue.week, article.issue.dates) == (381, "December 28 – January 3")
    assert (article.issue.start, article.issue.end, article.issue.url) == (
        date(2024, 12, 28),
        date(2025, 1, 3),
        "https://informedi.org/?p=1",
    )


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "invalid JSON"),
        ('{"title": "x"}', "not a WordPress post or list of posts"),
        ("[]", "the WordPress response has no posts"),
        (
            '{"code": "rest_post_invalid_page_number", "message": "The page number requested is larger than the number of pages available."}',
            "WordPress error rest_post_invalid_page_number: The page number requested",
        ),
        ('[{"title": "x"}, 3]', "none of the 2 posts could be parsed; first: p.json#1: not a WordPress post"),
        ('{"title": {"rendered": "About"}, "content": {"rendered": "<p>Hi</p>"}}', "no 'Week N' issue header found"),
        ('{"title": {"rendered": "Week 5"}, "content": {"rendered": ""}}', "the page is empty"),
    ],
)
def test_wordpress_errors(content, message):
    with pytest.raises(SourceError) as err:
        parse_document(SourceDocument(name="p.json", kind="wp-json", content=content))
    assert message in str(err.value)
    assert "\n" not in str(err.value)
