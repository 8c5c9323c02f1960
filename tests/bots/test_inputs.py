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
