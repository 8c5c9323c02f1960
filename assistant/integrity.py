"""`assistant check`: is the index whole and consistent, and `--repair` for what can be fixed
without re-embedding.

The quick part (run after every ingest) reads only counts, the revision and the saved keyword
index. The full part reads every article record and every passage's metadata and vector, in
pages, and compares them:

- articles with passages: orphans (a passage whose article is gone), missing passages (fewer
  than the article was written with, or a gap in their sequence);
- article records that no longer parse, or whose content no longer matches their hash;
- passage filter metadata against the article's (week, day, magazine, author, topics);
- vectors: the model's dimension, finite, unit length;
- Chroma's own counts against the records it returns;
- the keyword index against the store's revision and passage ids;
- weeks that appear as more than one issue;
- the layout: an index written by an older version lacks the fields plain LlamaIndex reads.

The embedding model id is compared when the store opens (``EmbeddingModelMismatch``).
A repair only deletes or rewrites what is derived or orphaned: the revision, the keyword index,
orphan passages and passage metadata. Lost passages need the model, so their articles are
marked stale and the next ingest of their sources writes them again.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import ValidationError

from assistant.filters import filter_metadata
from assistant.keyword import KeywordCache
from assistant.models import Article, Finding, FindingKind, IntegrityReport
from assistant.store import LAYOUT, DigestStore

_SHOWN_IDS = 20
_UNIT_LENGTH = (0.98, 1.02)  # the embedder L2-normalises; int8 rounding stays well inside this
_FILTER_KEYS = ("article_id", "week", "day", "magazine_key", "author_key", "topic_keys")


@dataclass
class _Scan:
    """What the full check read, kept for the repair."""

    articles: dict[str, Article] = field(default_factory=dict)
    expected_passages: dict[str, int] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    orphans: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # articles whose passages were all deleted outside
    bad_vectors: list[str] = field(default_factory=list)  # article ids
    stale_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)  # passage id -> update
    passage_ids: list[str] = field(default_factory=list)


def check(store: DigestStore, keywords: KeywordCache, full: bool = True) -> IntegrityReport:
    report, _ = _check(store, keywords, full)
    return report


def repair(store: DigestStore, keywords: KeywordCache) -> IntegrityReport:
    """Fix what the full check finds that needs no embedding, then check again."""
    before, scan = _check(store, keywords, full=True)
    kinds = {f.kind for f in before.findings}
    done: list[str] = []
    if "old-layout" in kinds:
        done.append(f"upgraded the index's layout ({store.upgrade()} passages)")
    writes = bool(scan.orphans or scan.stale_metadata or scan.removed)
    if writes:
        store.mark_dirty()
    if scan.removed:
        store.delete_articles(scan.removed)
        done.append(f"removed {len(scan.removed)} articles whose passages were deleted outside the assistant")
    if scan.orphans:
        store.delete_passages(scan.orphans)
        done.append(f"deleted {len(scan.orphans)} orphan passages")
    if scan.stale_metadata:
        ids = list(scan.stale_metadata)
        store.set_passage_metadata(ids, [scan.stale_metadata[i] for i in ids])
        done.append(f"rewrote the filter metadata of {len(ids)} passages")
    stale = sorted(set(scan.missing) | set(scan.bad_vectors))
    if stale:
        store.mark_stale(stale)
        done.append(f"marked {len(stale)} articles for the next ingest of their sources")
    if writes or "interrupted-write" in kinds:
        store.bump_revision()
        done.append("set a new revision")
    if writes or kinds & {"interrupted-write", "keyword-index"}:
        keywords.rebuild()
        done.append(f"rebuilt the keyword index ({store.count_passages()} passages)")
    after, _ = _check(store, keywords, full=True)
    after.repaired = done
    return after


def _check(store: DigestStore, keywords: KeywordCache, full: bool) -> tuple[IntegrityReport, _Scan]:
    revision = store.revision()
    report = IntegrityReport(
        location=store.location,
        embedding_model=store.model_id,
        revision=revision,
        articles=store.count_articles(),
        passages=store.count_passages(),
        full=full,
    )
    add = report.findings.append
    dirty = "+dirty-" in revision
    if dirty:
        add(
            Finding(
                kind="interrupted-write",
                problem="a write to the index did not finish (a crash or a full disk): readers may hold stale data",
                fix="--repair sets a new revision and rebuilds the keyword index; rerunning the ingest also does",
                repairable=True,
            )
        )
    scan = _Scan()
    if store.layout < LAYOUT:
        add(
            Finding(
                kind="old-layout",
                severity="warning",
                problem=f"the index was written by an older version (layout {store.layout} of {LAYOUT}): "
                "plain LlamaIndex and Chroma cannot read its passages as nodes yet",
                fix="--repair (or the next ingest) upgrades it in place, without re-embedding",
                repairable=True,
            )
        )
    if full:
        _check_articles(store, scan, report)
        _check_passages(store, scan, report, dirty)
    else:
        _check_passage_count(store, report)
    _check_keywords(keywords, report, scan.passage_ids if full else None)
    return report, scan


def _check_passage_count(store: DigestStore, report: IntegrityReport) -> None:
    """Quick: the passages the articles were written with, against the passages stored."""
    written = 0
    for _, metas in store.article_metadata():  # not the articles themselves: this runs after every ingest
        for meta in metas:
            if "passages" not in meta:
                return  # written before the count was recorded: only the full check can tell
            written += int(meta["passages"])
    if written != report.passages:
        report.findings.append(
            Finding(
                kind="count-mismatch",
                problem=f"the articles were written with {written} passages but the store holds {report.passages}",
                fix="run `assistant check` (the full check) to find which, then `assistant check --repair`",
                repairable=False,
            )
        )


def _check_articles(store: DigestStore, scan: _Scan, report: IntegrityReport) -> None:
    unreadable: list[str] = []
    altered: list[str] = []
    awaiting: list[str] = []
    issues_by_week: dict[int, set[tuple[str, str | None]]] = defaultdict(set)
    seen = 0
    for ids, docs, metas in store.article_records():
        for article_id, doc, meta in zip(ids, docs, metas):
            seen += 1
            scan.sources[article_id] = str(meta.get("source", ""))
            try:
                article = Article.model_validate_json(doc)
            except (ValidationError, ValueError):
                unreadable.append(article_id)
                continue
            scan.articles[article_id] = article
            if "passages" in meta:
                scan.expected_passages[article_id] = int(meta["passages"])
            stored_hash = str(meta.get("hash", ""))
            if stored_hash == "stale":
                awaiting.append(article_id)
            elif stored_hash != article.content_hash():
                altered.append(article_id)
            if article.issue.week is not None:
                issues_by_week[article.issue.week].add((article.issue.dates, article.issue.url))
    add = report.findings.append
    if seen != report.articles:
        add(_count_finding("articles", report.articles, seen))
    for ids, what in (
        (unreadable, "article records do not parse"),
        (altered, "article records do not match their content hash (edited in place?)"),
    ):
        _about(report, "unreadable-articles", ids, what, f"ingest their sources again: {_sources(scan, ids)}")
    _about(
        report,
        "awaiting-ingest",
        awaiting,
        "articles were marked by a repair to be written again",
        f"ingest their sources again: {_sources(scan, awaiting)}",
    )
    doubled = {week: issues for week, issues in issues_by_week.items() if len(issues) > 1}
    if doubled:
        weeks = ", ".join(f"Week {w} ({len(doubled[w])}×)" for w in sorted(doubled)[:_SHOWN_IDS])
        add(
            Finding(
                kind="duplicate-weeks",
                severity="warning",
                problem=f"{len(doubled)} weeks appear as more than one issue (other dates or address): {weeks}",
                fix="none needed: Browse and listening show each week's articles together; "
                "if one copy is wrong, `assistant forget` its articles",
                repairable=False,
            )
        )


def _check_passages(store: DigestStore, scan: _Scan, report: IntegrityReport, dirty: bool) -> None:
    expected_meta = {i: filter_metadata(a) for i, a in scan.articles.items()}
    seqs: dict[str, set[int]] = defaultdict(set)
    bad_vectors: set[str] = set()
    for ids, metas, vectors in store.passage_records(vectors=True):
        for passage_id, meta, vector in zip(ids, metas, vectors):
            scan.passage_ids.append(passage_id)
            article_id = str(meta.get("article_id", ""))
            if article_id not in scan.sources:
                scan.orphans.append(passage_id)
                continue
            seqs[article_id].add(int(meta.get("seq", -1)))
            if not _good_vector(vector, store.dimension):
                bad_vectors.add(article_id)
            want = expected_meta.get(article_id)
            if want is not None and any(meta.get(k) != want.get(k) for k in _FILTER_KEYS):
                scan.stale_metadata[passage_id] = {**want, **{k: None for k in _FILTER_KEYS if k not in want}}
    for article_id in scan.sources:
        got = seqs.get(article_id, set())
        count = scan.expected_passages.get(article_id, max(len(got), 1))
        if not got and not dirty:
            scan.removed.append(article_id)  # no write of ours was under way: deleted on purpose
        elif got != set(range(count)):
            scan.missing.append(article_id)
    scan.bad_vectors = sorted(bad_vectors)
    if len(scan.passage_ids) != report.passages:
        report.findings.append(_count_finding("passages", report.passages, len(scan.passage_ids)))
    _about(
        report,
        "orphan-passages",
        scan.orphans,
        "passages belong to no article (search could cite a deleted article)",
        "--repair deletes them",
        repairable=True,
    )
    _about(
        report,
        "removed-outside",
        scan.removed,
        "articles have no passages left: another program deleted them "
        "(LlamaIndex's delete(ref_doc_id), say), but Browse still lists them",
        "--repair removes them from the catalog too (as `assistant forget` does)",
        repairable=True,
    )
    marked = "--repair marks them, then ingest their sources again: "
    _about(
        report,
        "missing-passages",
        scan.missing,
        "articles have lost passages (search cannot find all of their text)",
        marked + _sources(scan, scan.missing),
    )
    _about(
        report,
        "bad-vectors",
        scan.bad_vectors,
        "articles have passage vectors of the wrong size or length",
        marked + _sources(scan, scan.bad_vectors),
    )
    _about(
        report,
        "stale-metadata",
        list(scan.stale_metadata),
        "passages carry filter fields their article no longer has "
        "(a week, magazine or topic filter would miss or wrongly include them)",
        "--repair rewrites their metadata from the article",
        repairable=True,
    )


def _check_keywords(keywords: KeywordCache, report: IntegrityReport, passage_ids: list[str] | None) -> None:
    if report.passages == 0:
        return
    saved = keywords.saved()
    problem = None
    if saved is None:
        problem = "there is no saved keyword index: the first question will build it"
    elif saved.revision != report.revision:
        problem = f"the keyword index is for revision {saved.revision!r}, the store is at {report.revision!r}"
    elif len(saved.passage_ids) != report.passages:
        problem = f"the keyword index has {len(saved.passage_ids)} passages, the store {report.passages}"
    elif passage_ids is not None and set(saved.passage_ids) != set(passage_ids):
        problem = "the keyword index and the store hold different passages"
    if problem:
        report.findings.append(
            Finding(
                kind="keyword-index",
                severity="warning" if saved is None else "error",
                problem=problem,
                fix="--repair rebuilds it from the store",
                repairable=True,
            )
        )


def _about(
    report: IntegrityReport, kind: FindingKind, ids: list[str], what: str, fix: str, repairable: bool = False
) -> None:
    """A finding about ``ids``, when there are any: "<how many> <what>", with the first few ids."""
    if ids:
        report.findings.append(
            Finding(kind=kind, problem=f"{len(ids)} {what}", ids=ids[:_SHOWN_IDS], fix=fix, repairable=repairable)
        )


def _good_vector(vector: Any, dimension: int) -> bool:
    v = np.asarray(vector, dtype=np.float64)
    if v.shape != (dimension,) or not np.isfinite(v).all():
        return False
    return _UNIT_LENGTH[0] <= math.sqrt(float(v @ v)) <= _UNIT_LENGTH[1]


def _count_finding(what: str, counted: int, read: int) -> Finding:
    return Finding(
        kind="count-mismatch",
        problem=f"Chroma counts {counted} {what} but returns {read}",
        fix="Chroma's own files are inconsistent: back up the folder and ingest again into a new one",
        repairable=False,
    )


def _sources(scan: _Scan, article_ids: Iterable[str]) -> str:
    names = sorted({scan.sources.get(i) or "?" for i in article_ids})
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")
