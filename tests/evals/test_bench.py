"""The synthetic corpus and the speed benchmark: shape and plumbing, never timings."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pytest

from assistant.sentences import split_sentences
from evals.bench import TARGETS, format_markdown, run_bench
from evals.synthetic import (
    ARTICLES_PER_WEEK, FIRST_SLOT_MAGAZINE, FIRST_WEEK, articles_per_week, issue_dates, queries, sample_material,
    write_corpus,
)
from index.documents import SourceDocument
from index.parse import parse_date_range, parse_document


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus") / "digest.jsonl", 30, seed=7)


def _parse(path):
    return parse_document(SourceDocument(name=path.name, kind="jsonl", content=path.read_text(encoding="utf-8")))


def test_corpus_is_deterministic(corpus, tmp_path):
    again = write_corpus(tmp_path / "again.jsonl", 30, seed=7)
    assert again.read_bytes() == corpus.read_bytes()
    other = write_corpus(tmp_path / "other.jsonl", 30, seed=8)
    assert other.read_bytes() != corpus.read_bytes()


def test_corpus_records_parse_with_the_real_parser(corpus):
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    articles = _parse(corpus)
    assert len(records) == len(articles) == 30
    assert len({a.id for a in articles}) == 30
    sample_titles = sample_material().titles
    for rec, a in zip(records, articles):
        assert a.id == rec["id"] and a.title == rec["title"]
        assert a.title not in sample_titles  # recombined, not copied
        assert 2 <= len(a.takeaways) <= 3
        assert 3 <= len(a.topics) <= 5
        assert 3 <= len(a.summary) <= 5
        for paragraph in rec["summary"]:
            assert 3 <= len(split_sentences(paragraph)) <= 5
        assert 250 <= sum(len(p.split()) for p in a.summary) <= 350
        assert a.published is not None and a.issue.start is not None
        assert a.issue.start - timedelta(days=6) <= a.published < a.issue.start
        assert a.magazine


def test_corpus_weeks_run_backwards_ten_a_week(corpus):
    articles = _parse(corpus)
    weeks = [a.issue.week for a in articles]
    # Ten articles a week, consecutive weeks counting down from 454.
    assert weeks == [FIRST_WEEK - i // ARTICLES_PER_WEEK for i in range(30)]
    starts = {}
    for a in articles:
        starts.setdefault(a.issue.week, a.issue.start)
        assert a.issue.start == starts[a.issue.week]
        assert a.issue.end == a.issue.start + timedelta(days=6)
    assert starts[454] == date(2026, 5, 22)
    assert articles[0].issue.dates == "May 22-28, 2026"
    assert [starts[w] - starts[w - 1] for w in (454, 453)] == [timedelta(days=7)] * 2
    # The Meridian opens each issue, as on the real page.
    assert all(a.magazine == FIRST_SLOT_MAGAZINE for a in articles[::ARTICLES_PER_WEEK])


def test_issue_dates_read_back_and_large_corpora_stay_above_week_one():
    for start in (date(2026, 5, 22), date(2026, 5, 29), date(2025, 12, 26)):
        dr = parse_date_range(issue_dates(start))
        assert (dr.start, dr.end) == (start, start + timedelta(days=6))
    assert articles_per_week(4540) == 10
    assert articles_per_week(5000) == 12  # 5,000 / 454 weeks


def test_a_5000_article_corpus_parses_whole(tmp_path):
    # Long titles share their first 60 characters (where ids are cut): ids must still be unique.
    path = write_corpus(tmp_path / "big.jsonl", 5000)
    articles = _parse(path)
    assert len(articles) == len({a.id for a in articles}) == 5000
    assert min(a.issue.week for a in articles) >= 1


def test_queries_are_deterministic_questions():
    qs = queries(40, seed=3)
    assert qs == queries(40, seed=3)
    assert len(qs) == 40 and len(set(qs)) > 30
    assert all(q.endswith("?") and 3 <= len(q.split()) <= 20 for q in qs)


def test_run_bench_small(tmp_path):
    lines: list[str] = []
    result = run_bench([20], queries=5, workdir=tmp_path, progress=lines.append)
    assert lines and any("cold ingest" in line for line in lines)
    (row,) = result.sizes
    assert row.articles == 20
    assert row.reingest_unchanged == 20
    assert row.questions == 5 and len(row.cold_ask_runs_s) == 3
    numbers = {k: v for k, v in row.model_dump().items() if isinstance(v, float) and not k.startswith("load_")}
    assert {"search_p50_ms", "filtered_search_p50_ms", "cold_ask_s"} <= numbers.keys()
    for name, value in numbers.items():
        assert math.isfinite(value) and value > 0, (name, value)
    assert row.passages > row.articles
    assert row.cold_ask_peak_rss_mb > 50  # its own RSS, not the measuring process's inherited one
    assert result.machine.cpus >= 1 and result.machine.cpu_model

    report = format_markdown(result)
    assert "| 20 |" in report
    for target in TARGETS:
        assert target.label in report
    assert report.count("✓") + report.count("✗") == len(TARGETS)
