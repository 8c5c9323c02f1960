from datetime import date

import pytest

from index.parse.dates import clean_text, find_issue, parse_date, parse_date_range


@pytest.mark.parametrize(
    "header, week, dates, start, end",
    [
        (
            "Since 2017 | Week 373, November 1-7, 2024 | Archive",
            373,
            "November 1-7, 2024",
            date(2024, 11, 1),
            date(2024, 11, 7),
        ),
        (
            "Extractive summaries ... | Week 231|February 11-17, 2022",
            231,
            "February 11-17, 2022",
            date(2022, 2, 11),
            date(2022, 2, 17),
        ),
        (
            "Week 386 | January 31- February 6, 2025",
            386,
            "January 31- February 6, 2025",
            date(2025, 1, 31),
            date(2025, 2, 6),
        ),
        (
            "Week 420, covering September 26 – October 4, 2025",
            420,
            "September 26 – October 4, 2025",
            date(2025, 9, 26),
            date(2025, 10, 4),
        ),
        ("Week 434, covering January 02-08, 2026.", 434, "January 02-08, 2026", date(2026, 1, 2), date(2026, 1, 8)),
        (
            "Week 200 | December 31, 2021 to January 6, 2022",
            200,
            "December 31, 2021 to January 6, 2022",
            date(2021, 12, 31),
            date(2022, 1, 6),
        ),
        ("Week 243, April 29-May 5, 2022", 243, "April 29-May 5, 2022", date(2022, 4, 29), date(2022, 5, 5)),
        ("Week 203 | July 30-August 05, 2021", 203, "July 30-August 05, 2021", date(2021, 7, 30), date(2021, 8, 5)),
        ("… | Week 454, May 22-28, 2026 | Archive", 454, "May 22-28, 2026", date(2026, 5, 22), date(2026, 5, 28)),
        (
            "Week\u00a0373,\u00a0November 1-7,\u00a02024",
            373,
            "November 1-7, 2024",
            date(2024, 11, 1),
            date(2024, 11, 7),
        ),
    ],
)
def test_find_issue_on_every_header_form(header, week, dates, start, end):
    issue = find_issue([header])
    assert (issue.week, issue.dates, issue.start, issue.end) == (week, dates, start, end)


def test_week_without_range_takes_the_range_from_another_header_line():
    lines = [
        "Weekly Business Insights from Top Ten Business Magazines – Week 231",
        "Extractive summaries ... | Week 231|February 11-17, 2022",
    ]
    issue = find_issue(lines)
    assert (issue.week, issue.start) == (231, date(2022, 2, 11))
    issue = find_issue(["Week 200", "December 31, 2021 to January 6, 2022"])
    assert (issue.week, issue.dates, issue.end) == (200, "December 31, 2021 to January 6, 2022", date(2022, 1, 6))


def test_week_alone_and_no_week():
    assert find_issue(["Week 12"]).model_dump() == {"week": 12, "dates": "", "start": None, "end": None, "url": None}
    assert find_issue(["Weekly Business Insights", "November 1-7, 2024"]) is None


def test_range_without_year_uses_the_nearby_date():
    assert parse_date_range("November 1-7", near=date(2024, 11, 8))[1:] == (date(2024, 11, 1), date(2024, 11, 7))
    # A post dated in January about the last days of December.
    assert parse_date_range("December 28 – January 3", near=date(2025, 1, 4))[1:] == (
        date(2024, 12, 28),
        date(2025, 1, 3),
    )
    assert parse_date_range("December 25-31", near=date(2025, 1, 2))[1:] == (date(2024, 12, 25), date(2024, 12, 31))
    assert parse_date_range("November 1-7")[1:] == (None, None)


def test_impossible_or_inverted_ranges_give_no_dates():
    assert parse_date_range("February 30-31, 2024")[1:] == (None, None)
    assert parse_date_range("November 7-1, 2024")[1:] == (None, None)
    assert parse_date_range("no dates here") is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("October 29, 2024", date(2024, 10, 29)),
        ("Oct 29, 2024", date(2024, 10, 29)),
        ("Sept. 5, 2024.", date(2024, 9, 5)),
        ("October\u00a029,\u00a02024", date(2024, 10, 29)),
        ("October 32, 2024", None),
        ("October 2024", None),
        ("the board met on October 29, 2024", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_clean_text_keeps_typography_but_not_odd_spaces():
    assert clean_text("“Don’t”\u00a0— it’s  fine\u200b ") == "“Don’t” — it’s fine"
