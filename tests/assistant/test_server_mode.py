"""The scale-out mode: the same assistant against a real `chroma run` on 127.0.0.1."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.errors import StoreUnavailable
from index import ingest
from tests.conftest import SEED_ARTICLE_ID, SEED_QUESTION, free_port, make_settings


def test_ingest_search_and_ask_through_a_chroma_server(chroma_server, tmp_path):
    host, port = chroma_server
    settings = make_settings(tmp_path / "home", chroma_host=host, chroma_port=port, collection="server-test")
    with Assistant(settings) as a:
        first = ingest(a)
        second = ingest(a)
        answer = a.ask(SEED_QUESTION)
    assert first.failed == 0 and first.added > 40
    assert second.added == second.updated == 0 and second.unchanged == first.added
    assert answer.citations[0].article_id == SEED_ARTICLE_ID
    # Nothing of the index lives in the local folder in this mode.
    assert not (tmp_path / "home" / "chroma").exists()


def test_two_processes_share_a_server_and_see_each_others_writes(chroma_server, tmp_path):
    host, port = chroma_server
    settings = make_settings(tmp_path / "h1", chroma_host=host, chroma_port=port, collection="shared-test")
    reader_settings = make_settings(tmp_path / "h2", chroma_host=host, chroma_port=port, collection="shared-test")
    with Assistant(reader_settings) as reader, Assistant(settings) as writer:
        assert reader.search("mastery micro skills") == []
        ingest(writer)
        hits = reader.search("mastery micro skills")
    assert hits and hits[0].article.id == SEED_ARTICLE_ID


def test_unreachable_server_is_a_clear_error(tmp_path):
    settings = make_settings(tmp_path / "home", chroma_host="127.0.0.1", chroma_port=free_port())
    with Assistant(settings) as a, pytest.raises(StoreUnavailable, match=r"Chroma server http://127\.0\.0\.1:\d+"):
        a.search("anything")
