"""The embedding model: batching by token count changes no vector, and the execution provider
is chosen from what onnxruntime offers (CUDA when it can run, else the CPU)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import embedding
from assistant.embedding import CPU, CUDA, MiniLMEmbedder, choose_providers, open_session

TEXTS = [
    "Tariffs",
    "Managers who coach weekly see skills grow faster than those who send staff to courses.",
    "Regional banks earn less on deposits when rates plateau. Net interest margins fell by 0.3 points in a year, "
    "and the smaller lenders felt it first: their deposits are the costliest to keep.",
    "",
    "Coaching Beats Courses\nThe study followed 412 teams for two years and found the same pattern in every region.",
    "Tariffs",
] * 3


@pytest.fixture(scope="module")
def model() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_batched_vectors_are_the_vectors_of_each_text_alone(model: MiniLMEmbedder) -> None:
    alone = np.stack([model._run([model._tokenizer.encode(t).ids])[0] for t in TEXTS])
    for batch_size in (1, 4, 16, 64):
        model.batch_size = batch_size
        got = model.embed(TEXTS)
        assert got.shape == (len(TEXTS), embedding.DIMENSION)
        # int8 quantisation scales each batch as a whole, so padding neighbours move the last digits only.
        assert np.min(np.sum(got * alone, axis=1)) > 0.999
    model.batch_size = 16
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(model.embed_query(TEXTS[1]), alone[1], atol=1e-6)


def test_this_machine_embeds_on_the_cpu(model: MiniLMEmbedder) -> None:
    assert model.provider == CPU  # the tests run without a GPU


def test_cuda_is_asked_for_only_when_onnxruntime_offers_it() -> None:
    assert choose_providers([CUDA, CPU]) == [CUDA, CPU]
    assert choose_providers(["TensorrtExecutionProvider", CUDA, CPU]) == [CUDA, CPU]
    assert choose_providers([CPU]) == [CPU]
    assert choose_providers(["AzureExecutionProvider", CPU]) == [CPU]


class _FakeSession:
    made: list[list[str]] = []
    gpu_works = True

    def __init__(self, path: str, options: object, providers: list[str]):
        type(self).made.append(providers)
        if CUDA in providers and not self.gpu_works:
            raise RuntimeError("CUDA failure 100: no CUDA-capable device is detected\nmore detail")
        self.providers = providers

    def get_providers(self) -> list[str]:
        return self.providers


@pytest.mark.parametrize("gpu_works", [True, False])
def test_a_session_goes_to_the_gpu_when_one_works_else_the_cpu(monkeypatch: pytest.MonkeyPatch, gpu_works) -> None:
    import onnxruntime

    monkeypatch.setattr(onnxruntime, "InferenceSession", _FakeSession)
    monkeypatch.setattr(_FakeSession, "made", [])
    monkeypatch.setattr(_FakeSession, "gpu_works", gpu_works)
    session = open_session("model.onnx", None, [CUDA, CPU])
    assert session.get_providers()[0] == (CUDA if gpu_works else CPU)
    assert _FakeSession.made == ([[CUDA, CPU]] if gpu_works else [[CUDA, CPU], [CPU]])

    monkeypatch.setattr(_FakeSession, "made", [])
    assert open_session("model.onnx", None, [CPU]).get_providers() == [CPU]
    assert _FakeSession.made == [[CPU]]  # no CUDA attempt when onnxruntime has none


def test_the_embedder_reports_the_provider_its_session_got(monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime

    monkeypatch.setattr(onnxruntime, "InferenceSession", _FakeSession)
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(_FakeSession, "gpu_works", True)
    assert MiniLMEmbedder().provider == CUDA
