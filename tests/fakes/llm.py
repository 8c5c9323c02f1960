"""Fixtures for the language-model tests: the stand-in server, assistants wired to it, and a
guard that fails a test which tries to reach anything but this machine."""

from __future__ import annotations

import re

import pytest
from pydantic import SecretStr

from assistant import Assistant
from tests.fakes.openai_server import FakeOpenAI, Request

API_KEY = "sk-test-SECRET-abc123xyz"


@pytest.fixture
def fake_openai():
    server = FakeOpenAI().start()
    yield server
    server.stop()


def llm_settings(base, server: FakeOpenAI | None, **overrides):
    values = dict(
        answer_mode="auto",
        llm_model="fake-model",
        llm_base_url=server.base_url if server else None,
        llm_api_key=SecretStr(API_KEY),
        llm_timeout=5.0,
        llm_retries=1,
        llm_cooldown=60.0,
    )
    values.update(overrides)
    return base.replace(**values)


def sharing(sample: Assistant, settings) -> Assistant:
    """An assistant with other settings over the already-ingested sample (same process, same parts)."""
    return Assistant(
        settings, embedder=sample.embedder, store=sample.store, keywords=sample.keywords, retriever=sample.retriever
    )


@pytest.fixture
def llm_assistant(sample_assistant, fake_openai):
    """``make(**settings)`` -> an Assistant whose language model is the fake server."""
    return lambda **overrides: sharing(
        sample_assistant, llm_settings(sample_assistant.settings, fake_openai, **overrides)
    )


_BLOCK = re.compile(r'<source id="(\d+)">\n(.*?)\n</source>', re.DOTALL)


def source_blocks(request: Request) -> dict[int, str]:
    return {int(n): body for n, body in _BLOCK.findall(request.user)}


def source_sentence(request: Request, n: int, index: int = 0) -> str:
    """The ``index``-th sentence of source ``n``'s text, as the model was shown it."""
    from assistant.sentences import split_sentences

    body = source_blocks(request)[n]
    text = body.split("\ntext: ", 1)[1]
    return split_sentences(text)[index]


def is_rewrite(request: Request) -> bool:
    return "rewrite" in request.system.lower()
