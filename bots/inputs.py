"""User input from any channel turned into the core's filters, with one clear message per mistake."""

from __future__ import annotations

from datetime import date

from assistant.errors import InvalidFilter
from assistant.models import MAX_WEEK, SearchFilters

ANY = "Any"  # what the web page's dropdowns show for "no filter"


def parse_day(value: str | date | None, name: str) -> date | None:
    if isinstance(value, date) or value is None:
        return value
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidFilter(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None


def parse_weeks(week: str | None, name: str = "week") -> tuple[int | None, int | None]:
    """ "373" -> (373, 373); "370-373" -> (370, 373)."""
    if not week or week == ANY:
        return None, None
    try:
        low, _, high = str(week).partition("-")
        weeks = int(low), int(high or low)
    except ValueError:
        raise InvalidFilter(f"{name} must be a number (373) or a range (370-373), not {week!r}") from None
    if not all(0 <= w <= MAX_WEEK for w in weeks):  # Chroma's integers stop at 2**63: say so, not crash
        raise InvalidFilter(f"week must be between 0 and {MAX_WEEK}")
    return weeks


def search_filters(
    week: str | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
    magazine: str | None = None,
    author: str | None = None,
    topic: str | None = None,
    *,
    week_from: str | None = None,
    week_to: str | None = None,
    names: dict[str, str] | None = None,
) -> SearchFilters:
    """Filters from text fields; ``names`` says how the channel calls each field in messages."""
    names = names or {}
    low, high = parse_weeks(week, names.get("week", "week"))
    if week_from not in (None, "", ANY):
        low = parse_weeks(week_from, names.get("week_from", "From week"))[0]
    if week_to not in (None, "", ANY):
        high = parse_weeks(week_to, names.get("week_to", "To week"))[1]
    blank = lambda v: None if v in (None, "", ANY) else v  # noqa: E731
    if low is not None and high is not None and low > high:  # no issue could match: say so
        raise InvalidFilter(f"the weeks run backwards ({low} to {high}): did you mean {high}-{low}?")
    first, last = parse_day(since, names.get("since", "since")), parse_day(until, names.get("until", "until"))
    if first is not None and last is not None and first > last:
        raise InvalidFilter(f"{names.get('since', 'since')} {first} is after {names.get('until', 'until')} {last}")
    return SearchFilters(
        week_from=low,
        week_to=high,
        since=first,
        until=last,
        magazine=blank(magazine),
        author=blank(author),
        topic=blank(topic),
    )
