"""A model that times out, refuses the key, lacks the model or fails: the user still gets the
quoted answer, quickly, with a notice saying why, and the key is never shown or logged."""

from __future__ import annotations

import logging
import time

import pytest

from assistant.errors import LanguageModelAuthError
from assistant.llm import OpenAICompatibleModel
from assistant.ports import Message
from tests.conftest import SEED_ARTICLE_ID, SEED_QUESTION, free_port
from tests.fakes.llm import (  # noqa: F401  (fixtures)
    API_KEY,
    fake_openai,
    llm_assistant,
    llm_settings,
    sharing,
    source_sentence,
)
from tests.fakes.openai_server import Hang, Status, Text, Truncated


@pytest.fixture
def log_everything(caplog):
    caplog.set_level(logging.DEBUG)  # openai, httpx, llama_index and ours, at their most talkative
    return caplog


def assert_quoted_fallback(answer, notice_part: str):
    assert answer.mode == "extractive" and answer.found
    assert answer.citations[0].article_id == SEED_ARTICLE_ID
    assert notice_part in answer.notice and "quotes the digest" in answer.notice
    assert answer.model == "fake-model"


def test_timeout_falls_back_within_bounded_time(llm_assistant, fake_openai):
    fake_openai.reply = lambda request: Hang(120)
    started = time.monotonic()
    answer = llm_assistant(llm_timeout=0.5, llm_retries=1).ask(SEED_QUESTION)
    elapsed = time.monotonic() - started
    assert_quoted_fallback(answer, "did not answer within 0.5 s")
    assert len(fake_openai.chat_requests()) == 2  # tried, backed off, retried once
    assert elapsed < 60.0, elapsed  # the server would have hung for 2 minutes (a wide bound: CI may be busy)


def test_wrong_key_falls_back_with_a_clear_message_and_the_key_is_never_logged(
    llm_assistant, fake_openai, log_everything
):
    # Real servers echo part of the key in the 401 body; it must not reach the user or the log.
    fake_openai.reply = lambda request: Status(401, f"Incorrect API key provided: {API_KEY}")
    answer = llm_assistant().ask(SEED_QUESTION)
    assert_quoted_fallback(answer, "refused the API key (401)")
    assert "ASSISTANT_LLM_API_KEY" in answer.notice
    assert len(fake_openai.chat_requests()) == 1  # a wrong key is not retried
    for secret in (API_KEY, API_KEY[-8:]):
        assert secret not in answer.model_dump_json()
        assert secret not in log_everything.text
    assert "refused the API key" in log_everything.text  # the failure itself is logged


def test_auth_error_carries_no_server_text(llm_assistant, fake_openai, sample_assistant):
    fake_openai.reply = lambda request: Status(401, f"Incorrect API key provided: {API_KEY}")
    model = OpenAICompatibleModel(llm_settings(sample_assistant.settings, fake_openai))
    with pytest.raises(LanguageModelAuthError) as info:
        list(model.stream([Message("user", "hi")]))
    assert API_KEY not in str(info.value) and info.value.__cause__ is None and info.value.__suppress_context__


def test_unknown_model_names_the_model(llm_assistant, fake_openai):
    fake_openai.reply = lambda request: Status(404, "The model `fake-model` does not exist")
    answer = llm_assistant().ask(SEED_QUESTION)
    assert_quoted_fallback(answer, "has no model 'fake-model' (404)")
    assert len(fake_openai.chat_requests()) == 1


def test_server_error_is_retried_then_falls_back(llm_assistant, fake_openai):
    fake_openai.reply = lambda request: Status(500, "boom")
    answer = llm_assistant(llm_retries=2).ask(SEED_QUESTION)
    assert_quoted_fallback(answer, "failed (500)")
    assert len(fake_openai.chat_requests()) == 3


def test_a_retry_that_succeeds_gives_the_generated_answer(llm_assistant, fake_openai):
    calls = []

    def reply(request):
        calls.append(request)
        return Status(503) if len(calls) == 1 else Text(f"{source_sentence(request, 1, 1)} [1]")

    fake_openai.reply = reply
    answer = llm_assistant(llm_retries=1).ask(SEED_QUESTION)
    assert answer.mode == "llm" and answer.notice is None and len(calls) == 2


def test_unreachable_endpoint_falls_back_then_auto_mode_skips_it_for_a_while(sample_assistant):
    settings = llm_settings(
        sample_assistant.settings,
        None,
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",
        llm_retries=1,
        llm_cooldown=60,
    )
    assistant = sharing(sample_assistant, settings)
    started = time.monotonic()
    answer = assistant.ask(SEED_QUESTION)
    assert time.monotonic() - started < 5
    assert_quoted_fallback(answer, "cannot be reached")
    again = assistant.ask(SEED_QUESTION)
    assert again.mode == "extractive" and "a moment ago" in again.notice


def test_llm_mode_keeps_trying_after_a_failure(llm_assistant, fake_openai):
    fake_openai.reply = lambda request: Status(500)
    assistant = llm_assistant(answer_mode="llm", llm_retries=0)
    assistant.ask(SEED_QUESTION)
    fake_openai.reply = lambda request: Text(f"{source_sentence(request, 1, 1)} [1]")
    assert assistant.ask(SEED_QUESTION).mode == "llm"  # no cooldown when the model was asked for


def test_stream_cut_mid_answer_falls_back(llm_assistant, fake_openai, monkeypatch):
    from assistant import llm as llm_module

    def broken_stream(self, messages, max_tokens=None):
        yield "Leaders "
        raise llm_module.LanguageModelUnavailable("The language model endpoint failed (500).")

    monkeypatch.setattr(llm_module.OpenAICompatibleModel, "stream", broken_stream)
    items = list(llm_assistant().ask_stream(SEED_QUESTION))
    assert items[0] == "Leaders " and items[-1].mode == "extractive" and "failed (500)" in items[-1].notice


@pytest.mark.parametrize(
    ("reply", "notice"),
    [
        (
            Text(f"Leaders hoard expertise [1]. {'More words follow here. ' * 8}", piece_chars=20, delay=3.0),
            "stopped answering",
        ),
        (Truncated("Leaders hoard expertise and much more after that [1].", pieces=2, broken=True), "was cut"),
    ],
    ids=["stalls-mid-stream", "connection-cut-mid-stream"],
)
def test_a_stream_that_stalls_or_is_cut_falls_back_as_unavailable(llm_assistant, fake_openai, reply, notice):
    """httpx's mid-stream errors are the endpoint's trouble, said as such, not "call failed"."""
    fake_openai.reply = lambda request: reply
    assistant = llm_assistant(llm_timeout=1.0, llm_retries=0)
    answer = assistant.ask(SEED_QUESTION)
    assert_quoted_fallback(answer, notice)
    assert assistant.llm.cooling_down()  # auto mode skips the endpoint for a while
