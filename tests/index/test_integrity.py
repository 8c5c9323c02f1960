"""`assistant check` finds what a crash, a half-done write or a hand edit leaves in the index,
and `--repair` fixes what needs no re-embedding. Each test damages a real Chroma index behind the
store's back (through its collections, as another program or a failing disk would) and checks
the finding, the repair and that search works again."""

from __future__ import annotations

import json
import shutil

import pytest

from assistant import Assistant
from index import ingest
from index.pipeline import SAMPLE_DIR
from tests.conftest import make_settings

SEED = SAMPLE_DIR / "week-373-2024-11-01-seed.txt"
OTHER = SAMPLE_DIR / "week-374-2024-11-08.txt"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Two weeks ingested once; each test damages its own copy."""
    home = tmp_path_factory.mktemp("integrity-template")
    with Assistant(make_settings(home)) as a:
        assert ingest(a, [str(SEED), str(OTHER)]).failed == 0
    return home


@pytest.fixture
def home(template, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(template, copy)
    return copy


def _kinds(report) -> set[str]:
    return {f.kind for f in report.findings}


def test_a_fresh_index_is_clean_in_both_checks(home):
    with Assistant(make_settings(home)) as a:
        for full in (True, False):
            report = a.check(full=full)
            assert report.ok and report.findings == [], report.findings
            assert report.articles == a.store.count_articles() > 0
            assert report.passages == a.store.count_passages() > report.articles


def test_orphan_passages_are_found_and_deleted(home):
    with Assistant(make_settings(home)) as a:
        pid, (text, meta, vec) = next(iter(a.store.passages(a.keywords.get().passage_ids[:1]).items()))
        a.store._passages.add(  # an article deleted half-way: its passage stayed
            ids=["ghost-p0"], embeddings=[vec.tolist()], documents=[text], metadatas=[{**meta, "article_id": "ghost"}]
        )
        found = a.check()
        assert not found.ok and "orphan-passages" in _kinds(found)
        orphan = next(f for f in found.findings if f.kind == "orphan-passages")
        assert orphan.ids == ["ghost-p0"] and orphan.repairable
        assert "count-mismatch" in _kinds(a.check(full=False))  # the quick check sees the count is off

        fixed = a.check(repair=True)
        assert fixed.ok and fixed.findings == [], fixed.findings
        assert any("orphan" in line for line in fixed.repaired)
        assert not a.store.passages(["ghost-p0"])
        assert "ghost-p0" not in a.keywords.get().passage_ids


def test_lost_passages_are_marked_and_the_next_ingest_restores_them(home):
    with Assistant(make_settings(home)) as a:
        article = a.store.all_articles()[0]
        lost = f"{article.id}#1"
        assert a.store.passages([lost]), "the sample article should have a second passage"
        a.store._passages.delete(ids=[lost])
        found = a.check()
        missing = next(f for f in found.findings if f.kind == "missing-passages")
        assert missing.ids == [article.id] and not missing.repairable
        assert article.source in missing.fix  # says which source to ingest again

        repaired = a.check(repair=True)
        assert not repaired.ok  # a repair does not embed: the article waits for its source
        assert {"missing-passages", "awaiting-ingest"} <= _kinds(repaired)

        report = ingest(a, [str(SEED), str(OTHER)])
        assert report.updated == 1 and report.problems == []
        assert a.check().ok
        assert a.store.passages([lost])


def test_stale_filter_metadata_is_rewritten_without_re_embedding(home):
    with Assistant(make_settings(home)) as a:
        article = next(x for x in a.store.all_articles() if x.issue.week == 373)
        pid = f"{article.id}#0"
        before = a.store.passages([pid])[pid]
        a.store._passages.update(ids=[pid], metadatas=[{"week": 999, "magazine_key": "wrong"}])
        found = a.check()
        assert "stale-metadata" in _kinds(found)

        fixed = a.check(repair=True)
        assert fixed.ok, fixed.findings
        text, meta, vector = a.store.passages([pid])[pid]
        assert meta["week"] == 373 and meta["magazine_key"] == before[1]["magazine_key"]
        assert (vector == before[2]).all() and text == before[0]


def test_bad_vectors_and_unreadable_records_are_reported(home):
    with Assistant(make_settings(home)) as a:
        first, second = a.store.all_articles()[:2]
        a.store._passages.update(ids=[f"{first.id}#0"], embeddings=[[0.0] * a.store.dimension])
        head = a.store._articles.get(ids=[second.id], include=["embeddings"])["embeddings"][0]
        # (with its vector: a document alone would make Chroma embed it with its own default model)
        a.store._articles.update(ids=[second.id], documents=['{"id": "broken'], embeddings=[head])
        found = a.check()
        assert not found.ok
        by_kind = {f.kind: f for f in found.findings}
        assert by_kind["bad-vectors"].ids == [first.id]
        assert by_kind["unreadable-articles"].ids == [second.id]
        assert second.source in by_kind["unreadable-articles"].fix


def test_a_stale_keyword_index_is_rebuilt(home):
    with Assistant(make_settings(home)) as a:
        a.store.bump_revision()  # a writer that bumped without the readers' knowledge
        found = a.check(full=False)
        assert [f.kind for f in found.findings] == ["keyword-index"]
        assert a.check(repair=True).ok
        assert a.keywords.saved().revision == a.store.revision()


def test_an_interrupted_write_is_found_and_repaired(home):
    with Assistant(make_settings(home)) as a:
        a.store.mark_dirty()  # a writer that died before its bump
        found = a.check(full=False)
        assert "interrupted-write" in _kinds(found) and not found.ok
        fixed = a.check(repair=True)
        assert fixed.ok and not a.store.is_dirty()


def test_ingest_runs_the_quick_check(home):
    with Assistant(make_settings(home)) as a:
        article = a.store.all_articles()[0]
        a.store._passages.delete(ids=[f"{article.id}#1"])  # behind the store's back: nothing changes
        report = ingest(a, [str(SEED), str(OTHER)])
        assert report.unchanged == report.articles_total
        assert any("passages" in p for p in report.problems), report.problems


def test_a_week_from_two_sources_is_one_issue(home, tmp_path):
    """Records for a week already in the index, with another issue address, join that week."""
    extra = tmp_path / "extra.jsonl"
    record = {
        "id": "w373-extra-article",
        "title": "A late addition to the week",
        "author": "Ada Example",
        "magazine": "Example Review",
        "week": 373,
        "issue_dates": "November 1-7, 2024",
        "issue_url": "https://mirror.example.org/week-373/",
        "takeaways": ["Late additions still belong to their week."],
        "summary": ["A late addition to the week, published elsewhere."],
    }
    extra.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with Assistant(make_settings(home)) as a:
        before = a.issue(373)
        assert ingest(a, [str(extra)]).added == 1
        weeks = [x.issue.week for x in a.issues()]
        assert weeks.count(373) == 1
        listing = a.issue(373)
        assert [x.id for x in listing.articles] == [*(x.id for x in before.articles), "w373-extra-article"]
        assert listing.issue.url == before.issue.url  # the larger part's issue
        found = a.check()
        assert found.ok and _kinds(found) == {"duplicate-weeks"}
        assert "Week 373" in found.findings[0].problem
