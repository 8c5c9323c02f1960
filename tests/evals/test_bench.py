"""The synthetic corpus and the speed benchmark: shape and plumbing, never timings."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from assistant.sentences import split_sentences
from evals.bench import run_bench, save
from evals.bench_report import format_markdown
from evals.bench_results import TARGETS, BenchResult
from evals.bench_systems import SYSTEMS
from evals.synthetic import (
    ARTICLES_PER_WEEK,
    FIRST_SLOT_MAGAZINE,
    FIRST_WEEK,
    articles_per_week,
    issue_dates,
    queries,
    sample_material,
    write_corpus,
)
from index.documents import SourceDocument
from index.parse import parse_date_range, parse_document

ROOT = Path(__file__).resolve().parents[2]
# What to measure in the small runs (run_bench has no defaults: `assistant bench` holds them).
SMALL = dict(queries=5, systems=SYSTEMS, embed_up_to=20, server_up_to=20, speech=False, seed=0)


def checkout_env(**extra: str) -> dict[str, str]:
    """The environment for an `assistant` process that runs this checkout's code, whatever is installed."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


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


def test_run_bench_small_measures_three_systems_with_ratios(tmp_path):
    lines: list[str] = []
    result = run_bench([20, 30], **SMALL, workdir=tmp_path, progress=lines.append)
    assert any("cold ingest" in line for line in lines)
    small, big = result.sizes
    assert (small.articles, small.vectors, big.articles, big.vectors) == (20, "model", 30, "pooled")
    assert [s.system for s in small.systems] == ["assistant", "assistant-server", "llamaindex"]
    assert [s.system for s in big.systems] == ["assistant", "llamaindex"]  # the server only up to 20
    ours, server, plain = small.systems
    # The server run reused the embedded run's vectors instead of embedding again.
    assert server.vectors == "replayed" and ours.vectors == "model"
    assert server.embed_texts == ours.embed_texts == ours.passages == server.passages
    assert server.server_peak_rss_mb > 20 and server.disk_mb > 0
    for row in (ours, server, plain, *big.systems):
        assert row.reingest_unchanged == row_articles(result, row)
        assert row.search_questions == 5
        for name in ("cold_ingest_articles_per_s", "search_p50_ms", "search_p95_ms", "peak_rss_mb", "disk_mb"):
            value = getattr(row, name)
            assert math.isfinite(value) and value > 0, (row.system, name, value)
    assert ours.ask_p50_ms > 0 and len(ours.cold_ask_runs_s) == 3 and ours.cold_ask_peak_rss_mb > 50
    assert plain.ask_p50_ms is None and plain.cold_ask_s is None  # no answerer, no persisted index to reopen
    assert ours.passages > 20 and plain.passages >= 20  # passages vs nodes

    report = format_markdown(result, images=["bench-scale.png"])
    assert "## Against the plain LlamaIndex pipeline" in report and "## Chroma server against embedded Chroma" in report
    assert "| 20 | assistant (Chroma server) | replayed |" in report
    assert "![bench-scale.png](bench-scale.png)" in report
    assert "Projected cold ingest" in report  # 30 articles ran on pooled vectors
    written = save(result, tmp_path / "out" / "bench.md")
    png = tmp_path / "out" / "bench-scale.png"
    assert png in written and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "out" / "bench.json").read_text())["sizes"][0]["articles"] == 20

    # An interrupted run resumes: measured sizes are kept, not measured again.
    lines.clear()
    again = run_bench([20, 30], **SMALL, workdir=tmp_path, progress=lines.append, resume=result)
    assert again.sizes == result.sizes and again.code == result.code
    assert any("resuming" in line for line in lines) and not any("cold ingest" in line for line in lines)


def row_articles(result, row):
    return next(run.articles for run in result.sizes if row in run.systems)


def test_targets_are_marked_only_where_measured():
    from evals.bench_support import machine_info

    empty = BenchResult(
        date="2026-11-27", machine=machine_info(), queries=5, seed=0, embed_up_to=5000, settings={}, sizes=[]
    )
    report = format_markdown(empty)
    assert report.count("not measured") == len(TARGETS) and "✓" not in report and "✗" not in report


def test_bad_sizes_and_systems_are_refused():
    from evals.bench import parse_sizes, parse_systems

    assert parse_sizes("1k, 20k,100000") == [1000, 20000, 100000]
    for bad in ("", "0", "ten", "5,-1"):
        with pytest.raises(ValueError):
            parse_sizes(bad)
    assert parse_systems("assistant,llamaindex") == ("assistant", "llamaindex")
    with pytest.raises(ValueError, match="choose from"):
        parse_systems("assistant,elastic")


def test_assistant_bench_command(tmp_path):
    """The console command: bad sizes are a usage error; a small run writes the report, numbers and plot."""
    exe = shutil.which("assistant")
    env = checkout_env(ASSISTANT_HOME=str(tmp_path / "untouched"))

    def refused(*args: str) -> str:
        bad = subprocess.run([exe, "bench", *args], capture_output=True, text=True, env=env, timeout=60)
        assert bad.returncode == 2
        return " ".join(bad.stderr.replace("│", " ").split())  # rich wraps the message in a box

    assert "sizes must be comma-separated whole numbers" in refused("--sizes", "ten")
    assert "unknown system elastic" in refused("--systems", "elastic")
    out = tmp_path / "results" / "bench.md"
    done = subprocess.run(
        [
            exe,
            "bench",
            "--sizes",
            "15",
            "--queries",
            "5",
            "--systems",
            "assistant,llamaindex",
            "--no-speech",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| 15 | assistant (embedded Chroma) | model |" in done.stdout
    assert "## Against the plain LlamaIndex pipeline" in out.read_text()
    assert (tmp_path / "results" / "bench-scale.png").stat().st_size > 10_000
    assert not (tmp_path / "untouched").exists()  # the bench used its own temporary homes


def test_python_m_evals_bench_is_the_assistant_bench_command(tmp_path):
    """One command line: `python -m evals.bench` runs `assistant bench`, with its options and defaults."""

    def bench(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "evals.bench", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=checkout_env(ASSISTANT_HOME=str(tmp_path / "untouched"), COLUMNS="200"),
            timeout=60,
        )

    helped = bench("--help")
    assert helped.returncode == 0, helped.stderr
    text = " ".join(helped.stdout.replace("│", " ").split())
    assert "Usage: assistant bench [OPTIONS]" in text
    for option in ("--server-up-to", "--no-speech", "--workdir", "--seed", "--in-process"):
        assert option in text
    assert "up to this size. [default: 20000]" in text and "[default: speech]" in text  # `assistant bench`'s defaults
    refused = bench("--sizes", "ten")
    assert refused.returncode == 2
    assert "sizes must be comma-separated whole numbers" in " ".join(refused.stderr.replace("│", " ").split())
    assert not (tmp_path / "untouched").exists()


def test_plotting_commands_say_how_to_install_matplotlib(monkeypatch, tmp_path):
    """Without the evals extra, `bench --out` and `eval --out` stop before measuring, in one line."""
    import typer
    from typer.testing import CliRunner

    from bots import cli_evals

    app = typer.Typer()
    cli_evals.register(app)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    for args in (["bench", "--sizes", "10", "--no-speech"], ["eval"]):
        done = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "report.md")])
        assert done.exit_code == 1, done.output
        assert done.output == "error: the PNG plots need matplotlib, which is not installed: pip install '.[evals]'\n"
        assert done.exception is None or isinstance(done.exception, SystemExit)
    assert not any(tmp_path.iterdir())
