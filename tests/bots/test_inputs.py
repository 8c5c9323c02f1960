"""Filters typed by people (CLI, Telegram, web) are checked once, in bots/inputs.py."""

from __future__ import annotations

import pytest

from assistant.errors import InvalidFilter
from bots.inputs import MAX_WEEK, parse_weeks


def test_weeks_and_ranges_parse():
    assert parse_weeks("373") == (373, 373)
    assert parse_weeks("370-373") == (370, 373)
    assert parse_weeks(None) == (None, None)


@pytest.mark.parametrize("week", ["9223372036854775808", f"1-{MAX_WEEK + 1}", "99999999999999999999999", "abc"])
def test_weeks_no_issue_could_have_are_clear_errors(week):
    with pytest.raises(InvalidFilter, match="week"):
        parse_weeks(week)


def test_ranges_that_run_backwards_are_clear_errors():
    from bots.inputs import search_filters

    with pytest.raises(InvalidFilter, match=r"weeks run backwards \(380 to 370\): did you mean 370-380"):
        search_filters("380-370")
    with pytest.raises(InvalidFilter, match="weeks run backwards"):
        search_filters(week_from="380", week_to="370")
    with pytest.raises(InvalidFilter, match="Since 2025-01-01 is after Until 2024-01-01"):
        search_filters(since="2025-01-01", until="2024-01-01", names={"since": "Since", "until": "Until"})
    same = search_filters("373-373", since="2024-11-01", until="2024-11-01")
    assert (same.week_from, same.week_to, same.since, same.until) == (373, 373, same.since, same.since)
