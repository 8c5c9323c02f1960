"""Ingest semantics: idempotent, edits replace, vanished articles go, failures are isolated."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assistant import Assistant
from assistant.errors import EmbeddingModelMismatch, UnknownArticle
from index import ingest


def write_records(path, records):
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


RECORDS = [
    {
        "id": "r-tariffs",
        "title": "Tariffs Reshape Factory Plans",
        "magazine": "The Meridian",
        "week": 500,
        "published": "2027-01-04",
        "topics": ["Trade", "Manufacturing"],
        "summary": [
            "Tariffs on imported steel pushed carmakers to move assembly closer to customers. "
            "Three plants in Ohio added shifts within six months."
        ],
    },
    {
        "id": "r-coaching",
        "title": "Coaching Beats Courses",
        "magazine": "Harbor Business Review",
        "week": 500,
        "author": "Ina Vale",
        "published": "2027-01-03",
        "topics": ["Leadership", "Learning"],
        "summary": [
            "Managers who coach weekly see skills grow faster than those who send staff to courses. "
            "The study followed 412 teams for two years."
        ],
    },
    {
        "id": "r-rates",
        "title": "Banks and the Rate Plateau",
        "magazine": "Summit Quarterly",
        "week": 501,
        "published": "2027-01-10",
        "topics": ["Finance"],
        "summary": [
            "Regional banks earn less on deposits when rates plateau. "
            "Net interest margins fell by 0.3 points in a year."
        ],
    },
]


def test_reingest_changes_nothing(settings, tmp_path):
    src = tmp_path / "records.jsonl"
    write_records(src, RECORDS)
    with Assistant(settings) as a:
        first = ingest(a, [str(src)])
        passages_before = a.store.all_passages()[0]
        second = ingest(a, [str(src)])
        passages_after = a.store.all_passages()[0]
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    assert (second.added, second.updated, second.unchanged, second.removed) == (0, 0, 3, 0)
    assert second.articles_total == 3
    assert sorted(passages_before) == sorted(passages_after)
    assert len(set(passages_after)) == len(passages_after)


def test_edited_article_replaces_its_passages(settings, tmp_path):
    src = tmp_path / "records.jsonl"
    write_records(src, RECORDS)
    edited = [dict(r) for r in RECORDS]
    edited[0]["summary"] = ["Quotas on aluminium, not tariffs, now drive where beverage cans are made."]
    with Assistant(settings) as a:
        ingest(a, [str(src)])
        write_records(src, edited)
        report = ingest(a, [str(src)])
        ids, texts, _ = a.store.all_passages()
        article = a.show("r-tariffs")
        hits = a.search("steel carmakers Ohio shifts")
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    mine = [t for i, t in zip(ids, texts) if i.startswith("r-tariffs#")]
    assert any("aluminium" in t for t in mine)
    assert not any("Ohio" in t for t in mine), "old passages must be gone"
    assert article.summary == edited[0]["summary"]
    assert all(h.article.id != "r-tariffs" or "Ohio" not in " ".join(p.text for p in h.passages) for h in hits)


def test_article_gone_from_its_source_is_removed(settings, tmp_path):
    src = tmp_path / "records.jsonl"
    write_records(src, RECORDS)
    with Assistant(settings) as a:
        ingest(a, [str(src)])
        write_records(src, RECORDS[:2])
        report = ingest(a, [str(src)])
        assert report.removed == 1 and report.articles_total == 2
        with pytest.raises(UnknownArticle):
            a.show("r-rates")


def test_forget_removes_article_and_passages(settings, tmp_path):
    src = tmp_path / "records.jsonl"
    write_records(src, RECORDS)
    with Assistant(settings) as a:
        ingest(a, [str(src)])
        a.forget("r-coaching")
        ids = a.store.all_passages()[0]
        assert not any(i.startswith("r-coaching#") for i in ids)
        assert all(h.article.id != "r-coaching" for h in a.search("coaching teams skills courses"))
        with pytest.raises(UnknownArticle):
            a.forget("r-coaching")


def test_bad_sources_are_reported_and_the_rest_is_ingested(settings, tmp_path):
    good = tmp_path / "good.jsonl"
    write_records(good, RECORDS[:1])
    empty = tmp_path / "empty.html"
    empty.write_text("", encoding="utf-8")
    not_digest = tmp_path / "recipe.txt"
    not_digest.write_text("Pancakes\nMix flour and eggs. Fry.\n", encoding="utf-8")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x", "title": "No summary"}\n{not json\n', encoding="utf-8")
    huge = tmp_path / "huge.txt"
    huge.write_text("x" * 20_000, encoding="utf-8")
    settings.sources.max_source_bytes = 10_000
    with Assistant(settings) as a:
        report = ingest(
            a, [str(good), str(empty), str(not_digest), str(broken), str(huge), str(tmp_path / "missing.txt")]
        )
    assert report.added == 1
    by_source = {e.source: e.error for e in report.errors}
    assert report.failed == len(report.errors) == 5
    assert "empty" in by_source[str(empty)]
    assert "Week" in by_source[str(not_digest)]
    assert "summary" in by_source[str(broken)] or "JSON" in by_source[str(broken)]
    assert "limit" in by_source[str(huge)]
    assert "no such file" in by_source[str(tmp_path / "missing.txt")]


def test_index_from_another_embedding_model_is_refused(settings):
    import chromadb

    settings.storage.chroma_dir.mkdir(parents=True)
    client = chromadb.PersistentClient(
        str(settings.storage.chroma_dir), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    client.create_collection(
        "digest-articles", embedding_function=None, metadata={"hnsw:space": "cosine", "embedding_model": "other-model"}
    )
    del client
    with Assistant(settings) as a, pytest.raises(EmbeddingModelMismatch, match="other-model"):
        _ = a.store  # opening it is what fails


def test_second_process_on_the_same_folder_gets_a_clear_refusal(settings):
    with Assistant(settings) as a:
        _ = a.store  # holds the folder
        code = (
            "import sys; from assistant import Assistant, Settings\n"
            "from assistant.errors import StoreUnavailable\n"
            f"a = Assistant(Settings(_env_file=None, home={str(settings.storage.home)!r}))\n"
            "try:\n    a.store\nexcept StoreUnavailable as e:\n    print(e); sys.exit(3)\n"
        )
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "in use by pid" in proc.stdout and "ASSISTANT_CHROMA_HOST" in proc.stdout


def test_a_parser_crash_on_one_source_is_contained(settings, tmp_path, monkeypatch):
    import index.pipeline

    good = tmp_path / "good.jsonl"
    write_records(good, RECORDS[:1])
    odd = tmp_path / "odd.txt"
    odd.write_text("Week 1, January 1-7, 2027\n", encoding="utf-8")
    real_parse = index.pipeline.parse_document

    def flaky(doc):
        if doc.name.endswith("odd.txt"):
            raise IndexError("list index out of range")
        return real_parse(doc)

    monkeypatch.setattr(index.pipeline, "parse_document", flaky)
    with Assistant(settings) as a:
        report = ingest(a, [str(odd), str(good)])
    assert report.added == 1
    assert [(e.source, e.error) for e in report.errors] == [(str(odd), "could not be parsed (IndexError)")]
