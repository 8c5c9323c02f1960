"""A short soak (`python -m evals.soak`): half a minute of every channel at once over a Chroma
server, with a flaky language model, Bot API faults, hostile input, a flood and an ingest from
another process while serving. Nothing is timed here: on a busy machine it is only slower."""

from __future__ import annotations

import pytest

from evals.soak import SoakOptions, run

pytestmark = [pytest.mark.server, pytest.mark.timeout(1800)]


def test_a_short_soak_has_no_unexpected_error_and_loses_no_answer(tmp_path):
    options = SoakOptions(
        minutes=0.5,
        web_users=2,
        telegram_users=2,
        subscribers=1,
        reingest_every=15.0,  # at least one ingest while serving, seen by the web and the bot
        flood_every=20.0,
        fault_every=8.0,
        reply_timeout=600.0,  # generous: a lost answer is one that never comes, not a slow one
        visible_within=300.0,
        speech_engine="espeak-ng",  # the audio warm-up finishes in seconds, not minutes
        workdir=tmp_path / "soak",
    )
    report = run(options, say=lambda line: None)
    summary = report.summary()
    assert summary["unexpected_errors"] == 0, report.text()
    assert summary["lost_answers"] == 0, report.text()
    assert not report.check_failed, report.text()
    # Everything ran: both channels served, hostile input was refused, an ingest was seen.
    assert summary["channels"]["web"]["served"] > 0 and summary["channels"]["telegram"]["served"] > 0
    assert summary["channels"]["web"]["refused_as_expected"] > 0
    assert report.ingest.ok >= 1 and report.ingest.newest_week is not None
    assert report.rss, "the serve process's memory was never sampled"
