from datetime import date
from pathlib import Path

import pytest

from assistant.errors import NotADigestPage
from assistant.models import Article
from index.documents import SourceDocument
from index.parse import parse_byline, parse_document, parse_page_text

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]

FURNITURE = [
    "Click for",
    "Click to for",
    "Extractive Summary of the Article",
    "Copyright lies",
    "show less",
    "Leave a Reply",
    "logged in to post",
    "key takeaways",
    "Topics:",
    "Download this week",
    "edition in audio",
    "Section :",
    "Informed i",
    "Recent Posts",
]


def seed_path() -> Path:
    """The real Week 373 page: the copy bundled in index/sample, else the shared seed."""
    candidates = sorted((REPO / "index" / "sample").glob("*week-373*"))
    candidates.append(REPO.parent / "shared" / "seed" / "informedi-week-373-building-mastery.txt")
    found = [p for p in candidates if p.is_file()]
    assert found, f"seed page not found in {candidates}"
    return found[0]


def parse_fixture(name: str) -> list[Article]:
    path = FIXTURES / name
    return parse_document(SourceDocument(name=str(path), kind="text", content=path.read_text(encoding="utf-8")))


def assert_no_furniture(article: Article) -> None:
    fields = [
        article.title,
        article.author or "",
        article.magazine or "",
        *article.takeaways,
        *article.topics,
        *article.summary,
    ]
    for text in fields:
        assert "\u00a0" not in text
        for phrase in FURNITURE:
            assert phrase.lower() not in text.lower(), (phrase, text)


def test_seed_page():
    path = seed_path()
    [article] = parse_document(
        SourceDocument(
            name=str(path),
            kind="text",
            content=path.read_text(encoding="utf-8"),
            url="https://informedi.org/2024/11/07/week-373/",
        )
    )
    issue = article.issue
    assert (issue.week, issue.dates, issue.start, issue.end) == (
        373,
        "November 1-7, 2024",
        date(2024, 11, 1),
        date(2024, 11, 7),
    )
    assert issue.url == "https://informedi.org/2024/11/07/week-373/"
    assert article.title == "Building Mastery: What Leaders Do That Helps — or Impedes"
    assert article.id == "w373-building-mastery-what-leaders-do-that-helps-or-impedes"
    assert (article.author, article.magazine, article.published) == (
        "Lynda Gratton",
        "MIT Sloan Management Review",
        date(2024, 10, 29),
    )
    assert len(article.takeaways) == 3
    assert article.takeaways[0].startswith("This is a time when we are all asking")
    assert article.takeaways[2].endswith("GenAI is seen as a partner rather than a threat.")
    assert article.topics == ["Leadership", "Learning", "Skills", "Training", "Lifetime Career"]
    summary = article.summary
    assert len(summary) == 8
    assert summary[0].startswith("This is a time when we are all asking")
    assert summary[1].startswith("Over the past two years")
    assert [p.split(" ", 3)[:3] for p in summary[2:7]] == [
        ["Mastery", "is", "an"],
        ["Mastery", "is", "still"],
        ["Demonstrating", "mastery", "to"],
        ["Companies", "don’t", "always"],
        ["GenAI", "is", "seen"],
    ]
    assert summary[2].startswith("Mastery is an idea")
    assert summary[-1].startswith("Yes, we do want to build mastery")
    assert "“I don’t.”" in summary[4]  # curly quotes kept as written
    assert (article.url, article.listen_url, article.source) == (None, None, str(path))
    assert_no_furniture(article)


def test_2021_page_without_by_takeaways_or_topics():
    first, second = parse_fixture("week-203-2021.txt")
    assert (first.issue.week, first.issue.dates) == (203, "July 30-August 05, 2021")
    assert (first.issue.start, first.issue.end) == (date(2021, 7, 30), date(2021, 8, 5))
    assert (first.title, first.author, first.magazine, first.published) == (
        "Harbour Cities and the New Trade Map",
        None,
        "The Meridian",
        date(2021, 7, 27),
    )
    assert (first.takeaways, first.topics) == ([], [])
    # A summary line with "|" but no date at the end is text, not a byline.
    assert first.summary[1].startswith("Cargo volumes | measured in twenty-foot units |")
    assert first.summary[2:4] == [
        "Near-shoring moved volume from ocean lanes to coastal feeders.",
        "Automated cranes cut turnaround times by a third.",
    ]
    assert first.summary[4] == "The authors conclude that “the map is being redrawn one berth at a time.”"
    assert (second.author, second.magazine) == ("Ada Quillfeather", "Northfield Management Review")
    # Comment form and sidebar after the last article are not content.
    assert second.summary == [
        "Leaders who listen more than they speak tend to build teams that disagree productively.",
        "The research followed 40 firms for five years.",
    ]
    assert [a.position for a in (first, second)] == [0, 1]
    for article in (first, second):
        assert_no_furniture(article)


def test_2022_page_with_sections_downloads_and_label_variants():
    first, second = parse_fixture("week-231-2022.txt")
    assert (first.issue.week, first.issue.dates, first.issue.start) == (231, "February 11-17, 2022", date(2022, 2, 11))
    assert (first.title, first.author, first.magazine) == (
        "The Return of Industrial Policy",
        "Corin Vale",
        "The Meridian",
    )
    # "Click to for" typo, then "Extractive Summary ... | Read | Listen", then the summary; the next
    # section heading is not part of it.
    assert first.summary == [
        "Governments on three continents are once again picking industries to back.",
        "The subsidies are large — larger than at any time since the 1970s.",
    ]
    assert second.author == "Petra Lindqvist and Omar Haddad"
    assert second.summary[0] == "A third of recurring meetings could be cancelled without anyone noticing."
    assert len(second.summary) == 2
    for article in (first, second):
        assert_no_furniture(article)


def test_2025_page_numbered_takeaways_and_no_author():
    first, second = parse_fixture("week-386-2025.txt")
    assert (first.issue.week, first.issue.dates) == (386, "January 31- February 6, 2025")
    assert (first.issue.start, first.issue.end) == (date(2025, 1, 31), date(2025, 2, 6))
    assert (first.author, first.magazine, first.published) == (None, "The Meridian", date(2025, 1, 28))
    assert first.takeaways == [
        "A decade of low rates kept weak firms alive and slowed the spread of new ones.",
        "As rates normalise, “zombie” companies are failing at the fastest pace in 15 years.",
    ]
    assert first.topics == ["Monetary Policy", "Productivity", "Corporate Finance"]
    assert first.summary == [
        "For years, cheap money was treated as a free lunch.",
        "Economists now count its costs – in productivity, in dynamism | and in the misallocation of capital.",
    ]
    assert second.id == "w386-why-supply-chains-need-stewards"
    assert len(second.takeaways) == 3 and second.takeaways[1] == "Stewards own the seams between firms."
    assert second.topics[-1] == "Poverty-allievation"  # typos kept as written
    assert second.summary == [
        "Most supply chain failures begin where one firm’s responsibility ends and another’s begins.",
        "Map the seams.",
        "Name a steward for each.",
        "Stewards report to the board, not to procurement.",
    ]
    for article in (first, second):
        assert_no_furniture(article)


def test_2026_header():
    [article] = parse_fixture("week-454-2026.txt")
    assert (article.issue.week, article.issue.dates, article.issue.end) == (454, "May 22-28, 2026", date(2026, 5, 28))
    assert article.issue.label == "Week 454, May 22-28, 2026"
    assert (article.author, article.magazine, article.published) == ("Tomasz Weller", "The Meridian", date(2026, 5, 19))
    assert len(article.takeaways) == 3
    assert article.summary == ["Agents trained on past deals reached agreement in minutes."]
    assert_no_furniture(article)


def test_takeaways_after_the_summary_label_and_glued_show_less():
    text = "\n".join(
        [
            "Week 10, March 1-7, 2019",
            "A Title",
            "By A. Writer | The Meridian | March 2, 2019",
            "Click for the extractive summary of the article",
            "2 key takeaways from the article",
            "- One.",
            "- Two.",
            "Topics:",
            "Alpha, Beta",
            "The summary.show less",
            "Not content.",
        ]
    )
    [article] = parse_page_text(text, name="t")
    assert (article.takeaways, article.topics, article.summary) == (
        ["One.", "Two."],
        ["Alpha", "Beta"],
        ["The summary."],
    )


def test_same_title_twice_gets_distinct_ids():
    text = (
        "Week 9, March 1-7, 2019\nSame\nThe Meridian | March 2, 2019\nOne.\nSame\nThe Meridian | March 3, 2019\nTwo.\n"
    )
    assert [a.id for a in parse_page_text(text, name="t")] == ["w9-same", "w9-same-2"]


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            "By Lynda Gratton | MIT Sloan Management Review | October 29, 2024",
            ("Lynda Gratton", "MIT Sloan Management Review", date(2024, 10, 29)),
        ),
        (
            "Lynda Gratton | MIT Sloan Management Review | October 29, 2024",
            ("Lynda Gratton", "MIT Sloan Management Review", date(2024, 10, 29)),
        ),
        ("The Meridian | October 10, 2024", (None, "The Meridian", date(2024, 10, 10))),
        ("By\u00a0Hanne Rask | Forbes Magazine | Oct 1, 2024", ("Hanne Rask", "Forbes Magazine", date(2024, 10, 1))),
        ("By Hanne Rask | October 1, 2024", ("Hanne Rask", None, date(2024, 10, 1))),
        ("Sales rose | costs fell | margins widened", None),
        ("Week 203 | July 30-August 05, 2021", None),
        ("Week 373 | November 7, 2024", None),
        ("Since 2017 | Week 373, November 1-7, 2024 | Archive", None),
        ("October 29, 2024", None),
        ("Prices rose | " + "and then they kept rising for a long while " * 4 + "| October 29, 2024", None),
    ],
)
def test_parse_byline(line, expected):
    result = parse_byline(line)
    assert (tuple(result) if result else None) == expected


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "the page is empty"),
        ("  \n\u00a0\n", "the page is empty"),
        ("Just some text\nwith no header", "no 'Week N' issue header found"),
        ("A Title\nBy A. Writer | The Meridian | March 2, 2019\nText.", "no 'Week N' issue header found"),
        (
            "Week 12, March 1-7, 2019\nNo articles here.",
            "no article blocks found (expected a title line followed by a 'By Author | Magazine | Date' line)",
        ),
    ],
)
def test_errors(content, message):
    with pytest.raises(NotADigestPage) as err:
        parse_document(SourceDocument(name="page.txt", kind="text", content=content))
    assert str(err.value) == f"page.txt: {message}"
    assert err.value.source == "page.txt"


KINDS = {".txt": "text", ".html": "html", ".json": "wp-json", ".jsonl": "jsonl"}
SAMPLE_PAGES = sorted(p for p in (REPO / "index" / "sample").glob("*") if p.suffix in KINDS)


@pytest.mark.parametrize("path", SAMPLE_PAGES, ids=[p.name for p in SAMPLE_PAGES])
def test_bundled_sample_pages_parse_cleanly(path):
    content = path.read_text(encoding="utf-8")
    articles = parse_document(SourceDocument(name=str(path), kind=KINDS[path.suffix], content=content))
    assert articles and all(a.issue.week and a.issue.start and a.issue.end for a in articles)
    assert len({a.id for a in articles}) == len(articles)
    for article in articles:
        assert article.published and article.magazine and article.summary
        assert_no_furniture(article)
