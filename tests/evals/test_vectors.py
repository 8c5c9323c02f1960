"""Where the benchmark's passage vectors come from: pooled real vectors and replayed ones."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embedding import MiniLMEmbedder
from assistant.ports import Embedder
from evals.vectors import Pooled, Recorded, Timed, sample_passages


class CountingModel:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, model: Embedder):
        self.model, self.texts = model, 0

    def embed(self, texts):
        self.texts += len(texts)
        return self.model.embed(texts)

    def embed_query(self, text):
        return self.model.embed_query(text)


@pytest.fixture(scope="module")
def model():
    return MiniLMEmbedder()


def test_pooled_vectors_are_deterministic_unit_vectors_near_a_real_passage(model):
    pool_texts = sample_passages()[:6]
    pooled, again = Pooled(model, pool_texts), Pooled(model, pool_texts)
    texts = [f"Synthetic passage number {i} about supply chains." for i in range(50)]
    vectors = pooled.embed(texts)
    assert vectors.shape == (50, model.dimension) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors, again.embed(texts))  # same text, same vector, in any instance
    assert len({v.tobytes() for v in vectors}) == 50  # no two equal: the noise separates them
    nearest = (vectors @ pooled.pool.T).max(axis=1)
    assert 0.6 < nearest.min() and nearest.max() < 0.99  # near a real sample passage, not on it
    # Questions are embedded by the real model.
    np.testing.assert_allclose(pooled.embed_query("tariffs"), model.embed_query("tariffs"), atol=1e-6)


def test_recorded_vectors_replay_without_the_model(model, tmp_path):
    counting = CountingModel(model)
    texts = ["Leaders impede mastery.", "Tariffs raise prices.", "Leaders impede mastery."]
    first = Recorded(counting)
    made = first.embed(texts)
    assert counting.texts == 2 and first.replayed == 1  # the repeated text came from the record
    first.save(tmp_path / "vectors.npz")

    replay = Recorded.load(counting, tmp_path / "vectors.npz")
    again = replay.embed(texts + ["A new text."])
    np.testing.assert_array_equal(again[:3], made)
    assert counting.texts == 3 and replay.replayed == 3  # only the new text reached the model
    np.testing.assert_allclose(again[3], model.embed(["A new text."])[0], atol=1e-6)


def test_timed_counts_texts_and_seconds(model):
    timed = Timed(model)
    timed.embed(["one", "two"])
    timed.embed([])
    assert timed.texts == 2 and timed.seconds > 0
