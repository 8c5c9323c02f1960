"""The pipelined ingest: no text embedded twice, an edited article's unchanged passages keep
their stored vectors, and a failure in the reading or writing thread stops the ingest cleanly."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from index import ingest
from index.embed_once import EmbedOnce
from index.staging import Prefetched
from tests.conftest import make_settings

DIM = 384


class Counting:
    """A deterministic stand-in model that counts what it embeds (the real one is tested below)."""

    model_id = "test/hashed-vectors"
    dimension = DIM

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return np.stack([self.vector(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.vector(text)

    @staticmethod
    def vector(text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
        return v / np.linalg.norm(v)


def _record(i: int, title: str, paragraphs: list[str]) -> dict:
    return {"id": f"r{i}", "title": title, "week": 500, "topics": ["Trade"], "summary": paragraphs}


PARAGRAPHS = [
    "Tariffs on imported steel pushed carmakers to move assembly closer to customers. "
    "Three plants in Ohio added shifts within six months of the new duties.",
    "Suppliers followed the plants, and the region's wages rose faster than the national average. "
    "Economists warn the gains may fade once the duties are lifted again.",
    "Smaller firms found the move harder: they lacked the capital to open a second site quickly, "
    "and some sold their lines to the bigger carmakers instead.",
]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def _assistant(tmp_path: Path, model: Counting) -> Assistant:
    return Assistant(make_settings(tmp_path / "home", passage_words=30), embedder=model)  # type: ignore[arg-type]


def test_identical_passages_across_articles_are_embedded_once(tmp_path: Path) -> None:
    # The same article filed under two ids (two issues): identical heads and summary passages.
    records = [_record(1, "Steel Moves Home", PARAGRAPHS), _record(2, "Steel Moves Home", PARAGRAPHS)]
    model = Counting()
    with _assistant(tmp_path, model) as a:
        report = ingest(a, [str(_write(tmp_path / "d.jsonl", records))])
        stored = a.store.passages([f"r{i}#{s}" for i in (1, 2) for s in range(4)])
    assert report.added == 2
    assert len(model.texts) == len(set(model.texts)) == report.embedded
    assert report.reused == report.embedded == len(stored) // 2
    for seq in range(report.embedded):
        np.testing.assert_array_equal(stored[f"r1#{seq}"][2], stored[f"r2#{seq}"][2])


def test_an_edited_article_reembeds_only_its_changed_passages(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    model = Counting()
    with _assistant(tmp_path, model) as a:
        first = ingest(a, [str(_write(path, [_record(1, "Steel Moves Home", PARAGRAPHS)]))])
        before = a.store.passages([f"r1#{s}" for s in range(first.embedded)])
        edited = [*PARAGRAPHS[:2], PARAGRAPHS[2].replace("Smaller firms", "Small family firms")]
        model.texts.clear()
        again = ingest(a, [str(_write(path, [_record(1, "Steel Moves Home", edited)]))])
        after = a.store.passages([f"r1#{s}" for s in range(first.embedded)])

    assert again.updated == 1 and len(before) == len(after) == first.embedded == 4
    [changed] = model.texts  # the edited paragraph's passage, and nothing else
    assert "Small family firms" in changed
    assert again.embedded == 1 and again.reused == 3
    for pid in ("r1#0", "r1#1", "r1#2"):
        np.testing.assert_array_equal(after[pid][2], before[pid][2])
    np.testing.assert_allclose(after["r1#3"][2], Counting.vector(changed), atol=1e-6)


def test_a_retitled_article_is_embedded_again(tmp_path: Path) -> None:
    # Summary passages carry their title into the model: a new title makes every text new.
    path = tmp_path / "d.jsonl"
    model = Counting()
    with _assistant(tmp_path, model) as a:
        first = ingest(a, [str(_write(path, [_record(1, "Steel Moves Home", PARAGRAPHS)]))])
        model.texts.clear()
        again = ingest(a, [str(_write(path, [_record(1, "Steel Comes Home", PARAGRAPHS)]))])
    assert again.updated == 1 and again.embedded == first.embedded and again.reused == 0


def test_a_bad_stored_vector_is_not_reused(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    model = Counting()
    with _assistant(tmp_path, model) as a:
        ingest(a, [str(_write(path, [_record(1, "Steel Moves Home", PARAGRAPHS)]))])
        a.store._passages.update(ids=["r1#1"], embeddings=[[0.0] * DIM])  # as a damaged index would hold
        model.texts.clear()
        edited = [*PARAGRAPHS[:2], PARAGRAPHS[2] + " More followed."]
        again = ingest(a, [str(_write(path, [_record(1, "Steel Moves Home", edited)]))])
        repaired = a.store.passages(["r1#1"])["r1#1"][2]
    assert again.embedded == 2 and again.reused == 2
    assert np.linalg.norm(repaired) == pytest.approx(1.0, abs=1e-5)


def test_progress_counts_every_article_once_and_starts_first(tmp_path: Path) -> None:
    calls: list[tuple[str, int]] = []

    class Recorder:
        def start(self, total: int) -> None:
            calls.append(("start", total))

        def advance(self, n: int = 1) -> None:
            calls.append(("advance", n))

    path = tmp_path / "d.jsonl"
    records = [_record(i, f"Title number {i}", PARAGRAPHS[:1]) for i in range(70)]
    with _assistant(tmp_path, Counting()) as a:
        ingest(a, [str(_write(path, records[:40]))])
        ingest(a, [str(_write(path, records))], progress=Recorder())
    assert calls[0] == ("start", 70)
    assert [c for c in calls if c[0] == "start"] == [("start", 70)]
    assert sum(n for kind, n in calls if kind == "advance") == 70


def test_a_failing_write_stops_the_ingest_with_its_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [_record(i, f"Title number {i}", PARAGRAPHS[:1]) for i in range(200)]
    with _assistant(tmp_path, Counting()) as a:
        writes = 0

        def broken(items) -> None:
            nonlocal writes
            writes += 1
            raise OSError("the disk went away")

        monkeypatch.setattr(a.store, "write_articles", broken)
        with pytest.raises(OSError, match="the disk went away"):
            ingest(a, [str(_write(tmp_path / "d.jsonl", records))])
    assert writes <= 2  # the first failure stops it: of 7 batches, only one already queued may follow
    for thread in threading.enumerate():
        if thread.name.startswith("ingest-"):
            thread.join(timeout=30)  # the reading thread stops at its next item
            assert not thread.is_alive()


def test_a_failing_reader_stops_the_ingest_with_its_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(specs, settings):
        raise RuntimeError("a reader bug")
        yield  # pragma: no cover

    monkeypatch.setattr("index.pipeline.read_sources", broken)
    with _assistant(tmp_path, Counting()) as a, pytest.raises(RuntimeError, match="a reader bug"):
        ingest(a, [str(tmp_path)])


# --- the parts ----------------------------------------------------------------------------------


def test_prefetched_keeps_order_and_carries_errors() -> None:
    assert list(Prefetched(iter(range(100)), depth=3)) == list(range(100))

    def failing():
        yield 1
        raise ValueError("boom")

    got = []
    with pytest.raises(ValueError, match="boom"):
        for item in Prefetched(failing()):
            got.append(item)
    assert got == [1]


def test_prefetched_stops_its_producer_when_the_consumer_leaves() -> None:
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    with Prefetched(endless(), depth=2) as items:
        for item in items:
            if item == 5:
                break
    items._thread.join(timeout=30)
    assert not items._thread.is_alive()
    assert len(produced) <= 5 + 1 + 2 + 1  # taken, in the queue, and one blocked on a full queue


def test_embed_once_memo_is_bounded_and_still_exact() -> None:
    model = Counting()
    vectors = EmbedOnce(model, DIM, memo_size=2)
    texts = ["a", "b", "a", "c", "d", "a"]
    got = vectors.vectors(texts)
    np.testing.assert_array_equal(got, np.stack([Counting.vector(t) for t in texts]))
    assert model.texts == ["a", "b", "c", "d"] and vectors.reused == 2
    assert len(vectors._memo) == 2
    vectors.vectors(["d", "b"])  # "d" is remembered, "b" was dropped
    assert model.texts[-1:] == ["b"]
