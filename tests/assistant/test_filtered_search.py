"""Filtered search takes the exact path (the saved passage vectors, masked by the filter) and
finds what exact filtering finds: the same passages as a brute-force scan of what Chroma's own
``where`` returns, and the same articles as Chroma's filtered search on the gold questions."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from assistant.filters import chroma_where
from assistant.keyword import KeywordCache, KeywordIndex
from assistant.models import SearchFilters
from assistant.retrieval import HybridRetriever
from tests.conftest import SEED_ARTICLE_ID, SEED_QUESTION

GOLD = Path(__file__).resolve().parents[2] / "evals" / "gold.jsonl"
K = 40


def _brute_force(a: Assistant, vector: np.ndarray, filters: SearchFilters, k: int) -> list[tuple[str, float]]:
    """The truth: every passage Chroma's ``where`` keeps, scored one by one."""
    got = a.store._passages.get(where=chroma_where(filters), include=["embeddings"])
    scored = [(pid, float(np.asarray(v, dtype=np.float32) @ vector)) for pid, v in zip(got["ids"], got["embeddings"])]
    return sorted(scored, key=lambda x: -x[1])[:k]


def _random_filters(a: Assistant, n: int, seed: int) -> list[SearchFilters]:
    """Filters of every kind and mix, drawn from the sample's own values (so most match)."""
    articles = a.store.all_articles()
    weeks = sorted({x.issue.week for x in articles if x.issue.week is not None})
    magazines = sorted({x.magazine for x in articles if x.magazine})
    topics = sorted({t for x in articles for t in x.topics})
    authors = sorted({x.author for x in articles if x.author})
    days = sorted({x.published or x.issue.start for x in articles if x.published or x.issue.start})
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        f: dict = {}
        if rng.random() < 0.5:
            lo = rng.choice(weeks)
            f.update(week_from=lo, week_to=rng.choice([w for w in weeks if w >= lo]))
        if rng.random() < 0.3:
            f["since"] = rng.choice(days) - timedelta(days=rng.randint(0, 3))
        if rng.random() < 0.2:
            f["until"] = rng.choice(days) + timedelta(days=rng.randint(0, 3))
        if rng.random() < 0.35:
            f["magazine"] = rng.choice(magazines)
        if rng.random() < 0.35:
            f["topic"] = rng.choice(topics)
        if rng.random() < 0.1:
            f["author"] = rng.choice(authors)
        if rng.random() < 0.15:
            f["articles"] = [x.id for x in rng.sample(articles, 3)]
        if f:
            out.append(SearchFilters(**f))
    return out


def test_the_keyword_build_holds_every_passage_vector_in_its_row_order(sample_assistant):
    index = sample_assistant.keywords.get()
    assert index.vectors is not None and len(index.vectors) == len(index.passage_ids)
    ids = list(index.passage_ids)
    stored = sample_assistant.store.passages(ids[:25])
    for row, pid in enumerate(ids[:25]):
        assert np.allclose(index.vectors.matrix[row], stored[pid][2], atol=1e-6)


def test_the_keyword_build_holds_what_search_reads_from_the_store(sample_assistant):
    a = sample_assistant
    index = a.keywords.get()
    ids = list(index.passage_ids)
    stored = a.store.passages(ids)
    for row, pid in enumerate(ids):
        text, kind, vector = index.passage(row)
        assert (text, kind) == (stored[pid][0], stored[pid][1]["kind"])
        assert index.passage_ids.row(pid, index.columns) == row
    for article in a.store.all_articles():
        assert index.article_json(article.id) == article.model_dump_json() or (
            json.loads(index.article_json(article.id)) == json.loads(article.model_dump_json())
        )
    assert index.article_json("no-such-article") is None


def test_a_one_shot_ask_never_reads_chromas_passages_or_articles(sample_assistant):
    """`assistant ask` at 100,000 articles must not load Chroma's vector index (seconds)."""
    a = sample_assistant
    settings = a.settings.replace(one_shot=True)
    keywords = KeywordCache(a.store, settings.storage.keyword_dir, 0.0, count_check=False)
    one_shot = Assistant(settings, embedder=a.embedder, store=a.store, keywords=keywords)
    calls: list[tuple[str, str]] = []

    class Spy:
        def __init__(self, collection, name):
            self._collection, self._name = collection, name

        def __getattr__(self, attr):
            calls.append((self._name, attr))
            return getattr(self._collection, attr)

    real = {name: getattr(a.store, name) for name in ("_articles", "_passages")}
    try:
        for name, collection in real.items():
            setattr(a.store, name, Spy(collection, name))
        answer = one_shot.ask(SEED_QUESTION)
        hits = one_shot.search(SEED_QUESTION)
        filtered = one_shot.search("tariffs", SearchFilters(week_from=374, week_to=374))
    finally:
        for name, collection in real.items():
            setattr(a.store, name, collection)
    assert calls == []
    assert answer.found and answer.citations[0].article_id == SEED_ARTICLE_ID
    assert filtered and all(h.article.issue.week == 374 for h in filtered)
    # and it finds what a long-running process finds, with the same texts
    warm = a.search(SEED_QUESTION)
    assert [h.article.id for h in hits] == [h.article.id for h in warm]
    assert [p.text for p in hits[0].passages] == [p.text for p in warm[0].passages]


def test_exact_filtered_candidates_are_the_brute_force_ones_on_random_filters(sample_assistant):
    a = sample_assistant
    index = a.keywords.get()
    questions = [SEED_QUESTION, "tariffs and trade", "how to run better meetings", "artificial intelligence at work"]
    checked = 0
    for i, filters in enumerate(_random_filters(a, 60, seed=16)):
        vector = a.embedder.embed_query(questions[i % len(questions)])
        mask = index.columns.mask(filters)
        got = index.nearest(vector, K, mask)
        truth = _brute_force(a, vector, filters, K)
        assert [pid for pid, _ in got] == [pid for pid, _ in truth], filters
        assert np.allclose([s for _, s in got], [s for _, s in truth], atol=1e-5)
        checked += bool(truth)
    assert checked >= 30  # most random filters match something: the comparison is not vacuous


def _chroma_filtered(a: Assistant) -> HybridRetriever:
    """The same retriever, but its keyword builds hold no vectors: filtered search asks Chroma."""
    real = a.keywords.get()
    without = KeywordIndex(real.revision, real.passage_ids, real.columns, real.bm25, real.doc_freq, real.article_terms)

    class Fixed:
        def get(self) -> KeywordIndex:
            return without

    return HybridRetriever(a.settings, a.store, a.embedder, Fixed())  # type: ignore[arg-type]


def test_filtered_search_finds_what_chromas_filtered_search_finds_on_the_gold_questions(sample_assistant):
    a = sample_assistant
    exact = HybridRetriever(a.settings, a.store, a.embedder, a.keywords)
    chroma = _chroma_filtered(a)
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    compared = 0
    for item in gold:
        if not item.get("expected"):
            continue  # questions the digest cannot answer have no week to filter around
        week = a.store.get_articles(item["expected"][:1])[0].issue.week
        if week is None:
            continue
        for filters in (SearchFilters(week_from=week - 2, week_to=week), SearchFilters(since=date(2024, 1, 1))):
            got = [h.article.id for h in exact.search(item["question"], filters)]
            want = [h.article.id for h in chroma.search(item["question"], filters)]
            assert got == want, (item["question"], filters)
            compared += 1
    assert compared >= 20


def test_a_build_without_vectors_falls_back_to_chromas_filter(sample_assistant):
    a = sample_assistant
    filters = SearchFilters(week_from=373, week_to=373)
    hits = _chroma_filtered(a).search(SEED_QUESTION, filters)
    assert hits and all(h.article.issue.week == 373 for h in hits)


def test_an_index_saved_by_older_code_is_rebuilt_with_its_vectors(settings, tmp_path):
    from index import ingest

    with Assistant(settings) as a:
        ingest(a)
        folder = a.keywords._folder
        current = folder / (folder / "current").read_text(encoding="utf-8").strip()
        meta = json.loads((current / "index.json").read_text(encoding="utf-8"))
        meta["format"] = 4  # what issue 15's code wrote: no vectors, texts or articles
        (current / "index.json").write_text(json.dumps(meta), encoding="utf-8")
        assert KeywordIndex.load(current) is None
    with Assistant(settings) as b:
        index = b.keywords.get()
        assert index.vectors is not None and len(index.vectors) == b.store.count_passages()
        hits = b.search(SEED_QUESTION, SearchFilters(week_from=373, week_to=373))
        assert hits[0].article.issue.week == 373


@pytest.mark.parametrize("share", [0.001, 0.3, 0.9, 1.0])
def test_exact_search_is_right_on_either_plan(share):
    """Few rows kept: a gather; most kept: a scan of every row. Both give the true top k."""
    from assistant.passage_vectors import PassageVectors

    rng = np.random.default_rng(7)
    matrix = rng.normal(size=(5000, 16)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    mask = rng.random(5000) < share
    mask[0] = True
    query = matrix[123]
    got = PassageVectors(matrix).nearest(query, 25, mask)
    scores = matrix @ query
    truth = sorted(np.flatnonzero(mask), key=lambda r: -scores[r])[:25]
    assert [r for r, _ in got] == [int(r) for r in truth]
    assert PassageVectors(matrix).nearest(query, 25, np.zeros(5000, dtype=bool)) == []


def test_keyword_top_k_is_bm25s_own_on_random_filters(sample_assistant):
    """The keyword side takes its top k among passages holding a query word (numpy's
    argpartition is slow on mostly-zero scores): the same passages and scores as bm25s's retrieve."""
    a = sample_assistant
    index = a.keywords.get()
    questions = ["tariffs and factory jobs", SEED_QUESTION, "remote work and productivity", "the the of"]
    for i, filters in enumerate([None, *_random_filters(a, 30, seed=3)]):
        query = questions[i % len(questions)]
        mask = index.columns.mask(filters)
        got = index.search_rows(query, 10, filters)
        from assistant.terms import analyze

        terms = analyze(query)
        if not terms or (mask is not None and not mask.any()):
            assert got == []
            continue
        docs, scores = index.bm25.retrieve(
            [terms], k=10, show_progress=False, weight_mask=None if mask is None else mask.astype(np.float32)
        )
        want = [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
        assert sorted(got) == sorted(want) or [s for _, s in got] == pytest.approx([s for _, s in want])
