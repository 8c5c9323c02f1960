"""The digest from LlamaIndex: our retriever inside LlamaIndex's own engines, tools and
evaluators, and the stored index opened by plain LlamaIndex and plain Chroma. The answering
model is the stand-in OpenAI server on loopback, driven by LlamaIndex's real OpenAILike client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.nodes import node_fields
from index import ingest
from tests.conftest import SEED_ARTICLE_ID, SEED_QUESTION, make_settings
from tests.fakes.llm import fake_openai, llm_assistant, llm_settings, sharing  # noqa: F401  (fixtures)
from tests.fakes.openai_server import Text

ROOT = Path(__file__).resolve().parents[2]
OFF_TOPIC = "What is the best recipe for Neapolitan pizza dough?"


def test_retriever_nodes_carry_the_article_and_its_evidence_score(sample_assistant):
    nodes = sample_assistant.as_retriever(top_k=5).retrieve(SEED_QUESTION)
    hits = sample_assistant.search(SEED_QUESTION, top_k=5)
    first = nodes[0]
    assert first.node.ref_doc_id == SEED_ARTICLE_ID and first.score == pytest.approx(hits[0].score)
    meta = first.node.metadata
    assert meta["week"] == 373 and meta["issue_dates"] == "November 1-7, 2024"
    assert meta["magazine"] == "MIT Sloan Management Review" and meta["title"].startswith("Building Mastery")
    assert meta["issue"] == "Week 373, November 1-7, 2024" and meta["published"] == "2024-10-29"
    assert "None" not in meta.values()  # absent fields (this page has no links) are left out
    # One node per matched passage, best article first; the texts are the passages'.
    assert [n.node.node_id for n in nodes[: len(hits[0].passages)]] == [p.passage_id for p in hits[0].passages]
    assert "article_id" not in first.node.get_content(metadata_mode="llm")  # ids and links stay out
    assert "MIT Sloan Management Review" in first.node.get_content(metadata_mode="llm")


def test_retriever_filters_and_the_relevance_gate(sample_assistant):
    in_range = sample_assistant.as_retriever(week=(370, 380)).retrieve("tariffs and manufacturing")
    assert in_range and all(370 <= n.node.metadata["week"] <= 380 for n in in_range)
    one_week = sample_assistant.as_retriever(week=386, magazine="no such magazine").retrieve("tariffs")
    assert one_week == []
    assert sample_assistant.as_retriever().retrieve(OFF_TOPIC) == []  # below the gate: no context
    per_article = sample_assistant.as_retriever(top_k=3, per_article=True).retrieve(SEED_QUESTION)
    assert [n.node.node_id for n in per_article][0] == SEED_ARTICLE_ID
    assert len({n.node.node_id for n in per_article}) == len(per_article) <= 3


def test_query_engine_answers_from_the_digest_with_source_nodes(llm_assistant, fake_openai):
    fake_openai.reply = lambda request: Text("Leaders hoard expertise and do not support mastery.")
    engine = llm_assistant().as_query_engine(top_k=3)
    response = engine.query(SEED_QUESTION)
    assert str(response) == "Leaders hoard expertise and do not support mastery."
    assert response.source_nodes[0].node.ref_doc_id == SEED_ARTICLE_ID
    prompt = "\n".join(m["content"] for m in fake_openai.chat_requests()[-1].messages)
    assert response.source_nodes[0].node.get_content()[:100] in prompt and "Building Mastery" in prompt


def test_query_engine_uses_llama_index_settings_llm_when_set(sample_assistant, fake_openai, monkeypatch):
    from llama_index.core import Settings as LlamaSettings
    from llama_index.llms.openai_like import OpenAILike

    fake_openai.reply = lambda request: Text("From Settings.llm.")
    chosen = OpenAILike(model="settings-model", api_base=fake_openai.base_url, api_key="x", is_chat_model=True)
    monkeypatch.setattr(LlamaSettings, "_llm", chosen)
    assert str(sample_assistant.as_query_engine().query(SEED_QUESTION)) == "From Settings.llm."
    assert fake_openai.chat_requests()[-1].body["model"] == "settings-model"


def test_query_engine_without_any_model_says_how_to_configure_one(sample_assistant):
    from assistant.errors import LanguageModelNotConfigured

    with pytest.raises(LanguageModelNotConfigured, match="ASSISTANT_LLM_MODEL"):
        sample_assistant.as_query_engine()


def test_chat_engine_condenses_follow_ups_and_retrieves_context(llm_assistant, fake_openai):
    def reply(request):
        if "standalone question" in json.dumps(request.messages).lower():
            return Text("What do leaders do that impedes mastery at work?")
        return Text("They withhold support.")

    fake_openai.reply = reply
    chat = llm_assistant().as_chat_engine(top_k=3)
    first = chat.chat(SEED_QUESTION)
    assert str(first) == "They withhold support." and first.source_nodes[0].node.ref_doc_id == SEED_ARTICLE_ID
    second = chat.chat("and what helps it?")
    assert second.source_nodes and second.source_nodes[0].node.ref_doc_id == SEED_ARTICLE_ID
    context = "\n".join(m["content"] for m in fake_openai.chat_requests()[-1].messages)
    assert "Building Mastery" in context and SEED_QUESTION in context  # the history went along


def test_query_engine_tool_for_agents(llm_assistant, fake_openai):
    from llama_index.core.tools import QueryEngineTool

    fake_openai.reply = lambda request: Text("Leaders hoard expertise.")
    tool = QueryEngineTool.from_defaults(
        llm_assistant().as_query_engine(), name="weekly_digest", description="Business articles, weekly since 2017."
    )
    output = tool.call(SEED_QUESTION)
    assert output.content == "Leaders hoard expertise." and tool.metadata.name == "weekly_digest"
    assert output.raw_output.source_nodes[0].node.ref_doc_id == SEED_ARTICLE_ID


def test_retriever_evaluator_scores_articles(sample_assistant):
    from llama_index.core.evaluation import RetrieverEvaluator

    evaluator = RetrieverEvaluator.from_metric_names(
        ["hit_rate", "mrr"], retriever=sample_assistant.as_retriever(top_k=5, per_article=True)
    )
    result = evaluator.evaluate(query=SEED_QUESTION, expected_ids=[SEED_ARTICLE_ID])
    assert result.metric_vals_dict == {"hit_rate": 1.0, "mrr": 1.0}
    miss = evaluator.evaluate(query=SEED_QUESTION, expected_ids=["w999-no-such-article"])
    assert miss.metric_vals_dict["hit_rate"] == 0.0


def test_stored_node_fields_read_back_with_llama_index_own_reader(sample_assistant):
    from llama_index.core.vector_stores.utils import metadata_dict_to_node

    article = sample_assistant.show(SEED_ARTICLE_ID)
    node = metadata_dict_to_node(node_fields(article, f"{article.id}#0"), text="passage text")
    assert node.node_id == f"{article.id}#0" and node.ref_doc_id == article.id
    assert node.metadata["week"] == 373 and node.get_content() == "passage text"
    stored = sample_assistant.store.passages([f"{article.id}#0"])[f"{article.id}#0"][1]
    assert stored["document_id"] == stored["ref_doc_id"] == article.id and stored["_node_type"] == "TextNode"


def test_plain_llama_index_and_chroma_open_an_ingested_chroma_server(chroma_server, tmp_path):
    """`assistant ingest` into a Chroma server; then LlamaIndex's own ChromaVectorStore and a
    plain Chroma client find the seed article first, and delete(ref_doc_id) removes it."""
    import chromadb
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    import assistant.chroma_embedding  # noqa: F401  (registers the embedding function with Chroma)
    from assistant.llamaindex import MiniLMEmbedding

    host, port = chroma_server
    settings = make_settings(tmp_path / "home", chroma_host=host, chroma_port=port, collection="plain-li")
    with Assistant(settings) as a:
        assert ingest(a).failed == 0
        assert a.search(SEED_QUESTION)[0].article.id == SEED_ARTICLE_ID
        client = chromadb.HttpClient(host=host, port=port, settings=chromadb.Settings(anonymized_telemetry=False))
        collection = client.get_collection("plain-li-passages")
        index = VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=collection), embed_model=MiniLMEmbedding(a.embedder)
        )
        top = index.as_retriever(similarity_top_k=3).retrieve(SEED_QUESTION)[0]
        assert top.node.ref_doc_id == SEED_ARTICLE_ID and top.node.metadata["week"] == 373
        by_text = collection.query(query_texts=[SEED_QUESTION], n_results=1)
        assert by_text["metadatas"][0][0]["article_id"] == SEED_ARTICLE_ID

        before = collection.count()
        ChromaVectorStore(chroma_collection=collection).delete(ref_doc_id=SEED_ARTICLE_ID)
        assert collection.count() < before
        assert a.search(SEED_QUESTION)[0].article.id != SEED_ARTICLE_ID
        found = a.check()
        # (the keyword index still holds the deleted passages: search skips them, the repair rebuilds it)
        assert {f.kind for f in found.findings} == {"removed-outside", "keyword-index"}
        assert next(f for f in found.findings if f.kind == "removed-outside").ids == [SEED_ARTICLE_ID]
        assert a.check(repair=True).ok
        assert SEED_ARTICLE_ID not in {x.id for listing in a.issues() for x in listing.articles}


def test_plain_chroma_queries_an_embedded_index_by_text(tmp_path):
    """In a process of its own, as a user's script: no assistant code but the registration."""
    home = tmp_path / "home"
    with Assistant(make_settings(home)) as a:
        assert ingest(a).failed == 0
    script = textwrap.dedent(
        f"""
        import chromadb
        import assistant.chroma_embedding  # registers the index's embedding function
        client = chromadb.PersistentClient({str(home / "chroma")!r}, settings=chromadb.Settings(anonymized_telemetry=False))
        got = client.get_collection("digest-passages").query(query_texts=[{SEED_QUESTION!r}], n_results=1)
        print(got["metadatas"][0][0]["article_id"])
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == SEED_ARTICLE_ID


def test_an_index_of_the_previous_layout_is_upgraded_in_place(tmp_path):
    home = tmp_path / "home"
    with Assistant(make_settings(home)) as a:
        ingest(a)
        passages = a.store._passages  # made old, as an index written before layouts would be
        got = passages.get(include=["metadatas"])
        old = [{k: None for k in ("_node_content", "_node_type", "document_id", "doc_id", "ref_doc_id")}] * len(
            got["ids"]
        )
        passages.update(ids=got["ids"], metadatas=old)
        passages.modify(metadata={"embedding_model": a.store.model_id, "dimension": a.store.dimension})
        assert a.store.layout == 1
        found = a.check()
        assert found.ok and [f.kind for f in found.findings] == ["old-layout"]
        assert ingest(a).unchanged == found.articles  # the ingest upgrades; nothing is re-embedded
        assert a.store.layout == 2 and a.check().findings == []
        stored = a.store.passages([f"{SEED_ARTICLE_ID}#0"])[f"{SEED_ARTICLE_ID}#0"][1]
        assert stored["ref_doc_id"] == SEED_ARTICLE_ID


def test_llama_index_is_not_imported_by_a_cold_extractive_ask(tmp_path):
    home = tmp_path / "home"
    with Assistant(make_settings(home)) as a:
        ingest(a)
    script = textwrap.dedent(
        f"""
        import sys
        from assistant import Assistant
        from tests.conftest import make_settings
        from pathlib import Path
        with Assistant(make_settings(Path({str(home)!r}))) as a:
            assert a.ask({SEED_QUESTION!r}).citations
        print(sorted({{m.split(".")[0] for m in sys.modules if m.startswith("llama_index")}}))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
