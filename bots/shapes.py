"""The JSON shapes every channel prints or serves: `assistant ... --json` and the web API agree
because both build their payloads here."""

from __future__ import annotations

from typing import Any

from assistant.models import Answer, Article, Hit, IssueListing


def answer_json(answer: Answer) -> dict[str, Any]:
    v = answer.verification
    verification = None
    if v is not None:
        verification = {
            **v.model_dump(mode="json"),
            "supported_share": round(v.supported_share, 4),
            "all_verified": v.all_verified,
        }
    return {
        "question": answer.question,
        "answer": answer.text,
        "mode": answer.mode,
        "citations": [c.model_dump(mode="json") for c in answer.citations],
        "model": answer.model,
        "verification": verification,
        "notice": answer.notice,
        # When the digest has no answer: the nearest articles, as reading (never evidence).
        "related": [r.model_dump(mode="json") for r in answer.related],
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    a = hit.article
    return {
        "article_id": a.id,
        "title": a.title,
        "score": round(hit.score, 6),
        "similarity": round(hit.similarity, 4),
        "week": a.issue.week,
        "magazine": a.magazine,
        "published": a.published,
    }


def article_json(a: Article) -> dict[str, Any]:
    return {
        "article_id": a.id,
        "title": a.title,
        "author": a.author,
        "magazine": a.magazine,
        "published": a.published,
        "url": a.url,
        "listen_url": a.listen_url,
        "week": a.issue.week,
        "issue_dates": a.issue.dates,
        "issue_url": a.issue.url,
        "takeaways": a.takeaways,
        "topics": a.topics,
        "summary": a.summary,
    }


def listing_json(x: IssueListing) -> dict[str, Any]:
    return {
        "week": x.issue.week,
        "issue_dates": x.issue.dates,
        "issue_url": x.issue.url,
        "articles": [
            {"article_id": a.id, "title": a.title, "author": a.author, "magazine": a.magazine, "published": a.published}
            for a in x.articles
        ],
    }
