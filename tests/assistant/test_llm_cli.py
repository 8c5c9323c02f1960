"""`assistant ask` with a language model configured by environment, as a user would set it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bots.cli import app
from tests.conftest import SEED_ARTICLE_ID, SEED_QUESTION
from tests.fakes.llm import API_KEY, fake_openai, source_sentence  # noqa: F401  (fixtures)
from tests.fakes.openai_server import Status, Text


@pytest.fixture
def llm_env(monkeypatch, sample_assistant, fake_openai):
    for key, value in {
        "ASSISTANT_HOME": str(sample_assistant.settings.storage.home),
        "ASSISTANT_LLM_MODEL": "fake-model",
        "ASSISTANT_LLM_BASE_URL": fake_openai.base_url,
        "OPENAI_API_KEY": API_KEY,
        "ASSISTANT_LLM_RETRIES": "0",
        "ASSISTANT_KEYWORD_REFRESH_SECONDS": "0",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ASSISTANT_LLM_API_KEY", raising=False)
    monkeypatch.chdir(sample_assistant.settings.storage.home.parent)  # no developer .env
    return fake_openai


def test_ask_json_reports_mode_model_verification_and_notice(llm_env):
    llm_env.reply = lambda request: Text(f"{source_sentence(request, 1, 1)} [1]")
    result = CliRunner().invoke(app, ["ask", SEED_QUESTION, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["mode"] == "llm" and out["model"] == "fake-model" and out["notice"] is None
    assert out["verification"]["all_verified"] is True and out["verification"]["supported_share"] == 1.0
    assert out["citations"][0]["article_id"] == SEED_ARTICLE_ID
    assert llm_env.chat_requests()[0].headers["authorization"] == f"Bearer {API_KEY}"  # OPENAI_API_KEY was read


def test_ask_text_prints_the_notice_and_never_the_key(llm_env):
    llm_env.reply = lambda request: Status(401, f"Incorrect API key provided: {API_KEY}")
    result = CliRunner().invoke(app, ["ask", SEED_QUESTION])
    assert result.exit_code == 0
    assert "[1] Week 373" in result.stdout
    assert "note:" in result.stderr and "refused the API key (401)" in result.stderr
    assert API_KEY not in result.stdout + result.stderr


def test_mode_option_overrides_the_setting(llm_env):
    result = CliRunner().invoke(app, ["ask", SEED_QUESTION, "--json", "--mode", "extractive"])
    out = json.loads(result.stdout)
    assert out["mode"] == "extractive" and out["model"] is None and out["verification"] is None
    assert llm_env.requests == []
    assert CliRunner().invoke(app, ["ask", SEED_QUESTION, "--mode", "poetry"]).exit_code == 2


def test_llm_mode_without_a_model_is_one_line_and_exit_1(llm_env, monkeypatch):
    monkeypatch.delenv("ASSISTANT_LLM_MODEL")
    result = CliRunner().invoke(app, ["ask", SEED_QUESTION, "--mode", "llm"])
    assert result.exit_code == 1 and "ASSISTANT_LLM_MODEL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
