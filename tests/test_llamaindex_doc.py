"""docs/llamaindex.md's code runs as written: each ```python block in a process of its own,
over the ingested sample digest, with the stand-in OpenAI server as the configured endpoint."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant
from index import ingest
from tests.conftest import SEED_ARTICLE_ID, make_settings
from tests.fakes.openai_server import FakeOpenAI, Text

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "llamaindex.md").read_text(encoding="utf-8"), re.DOTALL)


@pytest.fixture(scope="module")
def run_block(tmp_path_factory):
    home = tmp_path_factory.mktemp("llamaindex-doc") / "home"
    with Assistant(make_settings(home)) as a:
        assert ingest(a).failed == 0
    server = FakeOpenAI(reply=lambda request: Text("Leaders keep expertise to themselves.")).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    env.update(
        ASSISTANT_HOME=str(home),
        ASSISTANT_LLM_MODEL="fake-model",
        ASSISTANT_LLM_BASE_URL=server.base_url,
        PYTHONPATH=str(ROOT),
    )

    def run(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=home.parent, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    yield run
    server.stop()


def test_the_page_has_its_three_uses():
    assert len(BLOCKS) == 3


def test_retriever_query_and_chat_engines(run_block):
    out = run_block(BLOCKS[0])
    assert SEED_ARTICLE_ID in out and "Week 373, November 1-7, 2024" in out
    assert out.count("Leaders keep expertise to themselves.") == 3  # the query, then two chat turns


def test_plain_llama_index_and_chroma_over_the_stored_index(run_block):
    out = run_block(BLOCKS[1])
    assert out.splitlines()[0].startswith(SEED_ARTICLE_ID)
    assert f"{SEED_ARTICLE_ID}#" in out.splitlines()[-1]


def test_retriever_evaluator_on_the_gold_set(run_block):
    out = run_block(BLOCKS[2])
    scores = dict(line.split() for line in out.splitlines())
    assert float(scores["hit_rate"]) >= 0.8 and float(scores["mrr"]) >= 0.7, out
