"""Week headers and dates as the digest writes them.

Forms seen on real pages: "Week 373, November 1-7, 2024", "Week 231|February 11-17, 2022",
"Week 386 | January 31- February 6, 2025", "Week 420, covering September 26 – October 4, 2025",
"Week 434, covering January 02-08, 2026.", "December 31, 2021 to January 6, 2022".
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

from assistant.models import Issue
from index.reading import safe_text

_MONTHS: dict[str, int] = {}
for _n in range(1, 13):
    _MONTHS[calendar.month_name[_n].lower()] = _n
    _MONTHS[calendar.month_abbr[_n].lower()] = _n
_MONTHS["sept"] = 9

# Longest names first so "March" is not read as "Mar" + "ch".
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_DASH = r"(?:-|‐|‑|–|—|\bto\b|\buntil\b|\bthrough\b)"

_DATE_RE = re.compile(rf"(?P<m>{_MONTH})\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(?P<y>\d{{4}})", re.I)
_RANGE_RE = re.compile(
    rf"\b(?P<m1>{_MONTH})\s*(?P<d1>\d{{1,2}})(?:\s*,\s*(?P<y1>\d{{4}}))?"
    rf"\s*{_DASH}\s*"
    rf"(?:(?P<m2>{_MONTH})\s*)?(?P<d2>\d{{1,2}})(?!\d)"
    rf"(?:\s*,\s*(?P<y2>\d{{4}})|\s+(?P<y2b>\d{{4}}))?",
    re.I,
)
# "Week 373" and what may sit between it and the range: ",", "|", ":", a dash, "covering".
WEEK_RE = re.compile(r"\bWeek\s*(?P<week>\d{1,4})\b(?:\s*[,|:;–—-])?\s*(?:covering\s+)?", re.I)


class DateRange(NamedTuple):
    text: str
    start: date | None
    end: date | None


def _month(name: str) -> int:
    return _MONTHS[name.rstrip(".").lower()]


_ODD_SPACES = str.maketrans({0xA0: " ", 0x202F: " ", 0x2007: " ", 0x2009: " ", 0x200B: None, 0xFEFF: None})
_SPACE_RUNS = re.compile(r"[ \t\f\v]{2,}|[\t\f\v]")  # only runs and odd whitespace need replacing


def clean_text(text: str) -> str:
    """Non-breaking and odd spaces become plain spaces; runs of spaces collapse; characters XML
    forbids are dropped and lone surrogates replaced (``safe_text``)."""
    return _SPACE_RUNS.sub(" ", safe_text(text).translate(_ODD_SPACES)).strip()


def parse_date(text: str) -> date | None:
    """ "October 29, 2024" (or "Oct 29 2024", with a trailing period) -> date; anything else -> None."""
    m = _DATE_RE.fullmatch(clean_text(text).rstrip("."))
    if not m:
        return None
    try:
        return date(int(m["y"]), _month(m["m"]), int(m["d"]))
    except ValueError:
        return None


def _range_from_match(m: re.Match, near: date | None) -> DateRange:
    text = clean_text(m.group(0))
    m1, d1 = _month(m["m1"]), int(m["d1"])
    m2, d2 = (_month(m["m2"]) if m["m2"] else m1), int(m["d2"])
    y1, y2 = m["y1"], m["y2"] or m["y2b"]
    crosses_year = m2 < m1
    if y2:
        end_year = int(y2)
    elif y1:
        end_year = int(y1) + crosses_year
    elif near is not None:
        # No year written: take it from a nearby date (the post's date), a post is never months early.
        # Compared as a difference: near + 60 days overflows near date.max; day 0 is a typo.
        end_year = near.year
        if date(end_year, m2, max(1, min(d2, 28))) - near > timedelta(days=60):
            end_year -= 1
    else:
        return DateRange(text, None, None)
    start_year = int(y1) if y1 else end_year - crosses_year
    try:
        start, end = date(start_year, m1, d1), date(end_year, m2, d2)
    except ValueError:
        return DateRange(text, None, None)
    if end < start:  # a typo on the page; better no dates than wrong ones
        return DateRange(text, None, None)
    return DateRange(text, start, end)


def parse_date_range(text: str, near: date | None = None) -> DateRange | None:
    """First date range in ``text``. ``near`` supplies the year when the range has none."""
    m = _RANGE_RE.search(clean_text(text))
    return _range_from_match(m, near) if m else None


def find_issue(lines: Iterable[str], near: date | None = None) -> Issue | None:
    """The issue header among ``lines``: a "Week N" followed by its date range wins; otherwise
    the first "Week N" with the first date range found anywhere in the lines. No url is set."""
    lines = [clean_text(line) for line in lines]
    first_week: int | None = None
    for line in lines:
        for wm in WEEK_RE.finditer(line):
            rm = _RANGE_RE.match(line, wm.end())
            if rm:
                dr = _range_from_match(rm, near)
                return Issue(week=int(wm["week"]), dates=dr.text, start=dr.start, end=dr.end)
            if first_week is None:
                first_week = int(wm["week"])
    if first_week is None:
        return None
    for line in lines:
        found = parse_date_range(line, near)
        if found:
            return Issue(week=first_week, dates=found.text, start=found.start, end=found.end)
    return Issue(week=first_week)
