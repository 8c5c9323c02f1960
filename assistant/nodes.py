"""How an article's passages look to LlamaIndex, written without importing it.

The store writes these fields beside its own filter fields on every passage, so that plain
LlamaIndex (``ChromaVectorStore`` + ``VectorStoreIndex.from_vector_store``) reads each passage
as a ``TextNode`` whose metadata are the article's and whose SOURCE is the article, and
``delete(ref_doc_id=<article id>)`` removes an article. ``DigestRetriever`` builds its nodes from
the same ``node_metadata``, so both ways of reaching the digest show the same metadata.

The JSON is the subset of ``TextNode``'s fields that differ from their defaults: LlamaIndex
fills in the rest, and ``tests/assistant/test_llamaindex.py`` reads it back with LlamaIndex's
own ``metadata_dict_to_node`` so a change on its side shows up as a failing test.
"""

from __future__ import annotations

import json
from typing import Any

from assistant.models import Article

# What an answering model needs to cite a passage; the links and ids stay out of its prompt.
HIDDEN_FROM_LLM = ("article_id", "url", "listen_url", "issue_url", "topics")
NODE_FIELDS = ("_node_content", "_node_type", "document_id", "doc_id", "ref_doc_id")
_SOURCE = "1"  # NodeRelationship.SOURCE's value


def node_metadata(article: Article) -> dict[str, Any]:
    """The article as flat node metadata (str, int; no None): what a LlamaIndex user filters
    on, shows and cites."""
    issue = article.issue
    meta: dict[str, Any] = {
        "article_id": article.id,
        "title": article.title,
        "author": article.author,
        "magazine": article.magazine,
        "published": article.published.isoformat() if article.published else None,
        "issue": issue.label,
        "week": issue.week,
        "issue_dates": issue.dates,
        "issue_url": issue.url,
        "url": article.url,
        "listen_url": article.listen_url,
        "topics": ", ".join(article.topics),
    }
    return {k: v for k, v in meta.items() if v not in (None, "")}


def node_fields(article: Article, passage_id: str) -> dict[str, str]:
    """The fields ``ChromaVectorStore`` reads a node from (its text is the passage's document)."""
    metadata = node_metadata(article)
    content = {
        "id_": passage_id,
        "metadata": metadata,
        "excluded_llm_metadata_keys": list(HIDDEN_FROM_LLM),
        "excluded_embed_metadata_keys": list(metadata),  # already embedded, by us
        "relationships": {_SOURCE: {"node_id": article.id, "class_name": "RelatedNodeInfo"}},
        "text": "",
        "class_name": "TextNode",
    }
    return {
        "_node_content": json.dumps(content, ensure_ascii=False),
        "_node_type": "TextNode",
        "document_id": article.id,
        "doc_id": article.id,
        "ref_doc_id": article.id,
    }
