"""WordPress REST JSON (/wp-json/wp/v2/posts): one post object, or a list of them (a page of posts).

Each post's ``content.rendered`` is parsed as HTML; ``link`` is the issue address; ``title.rendered``
is searched for the "Week N" header (the content often starts below it) and ``date`` gives the
year when the header's range has none.

Read from a file or a URL, REST JSON is split into one "wp-json" document per post
(``post_documents``), so each post is reported, and re-ingested, on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from bs4 import BeautifulSoup

from assistant.errors import SourceError
from assistant.models import Article
from index.documents import SourceDocument
from index.reading import TOO_DEEP, JsonTooDeep, load_json, safe_text
from index.registry import register_format

from .dates import clean_text
from .html_page import parse_html_page

PostResult = tuple[str, list[Article] | SourceError]


# --- reading: one wp-json document per post -----------------------------------------


def looks_like_posts(text: str) -> bool:
    """Content that is one JSON value (an object or a list): REST JSON."""
    head = text.lstrip()
    if not head.startswith(("{", "[")):
        return False
    try:
        load_json(head)
    except JsonTooDeep:
        return True  # JSON all the same: split_posts says what is wrong with it
    except ValueError:
        return False
    return True


def split_posts(text: str, name: str, url: str | None) -> Iterator[SourceDocument | SourceError]:
    """REST JSON text -> one wp-json document per post (``url`` is unused: each post has its link)."""
    try:
        data = load_json(text)
    except JsonTooDeep as err:
        yield SourceError(name, str(err))
        return
    except json.JSONDecodeError as err:
        yield SourceError(name, f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}")
        return
    yield from post_documents(data, name)


def post_documents(data: Any, origin: str) -> Iterator[SourceDocument | SourceError]:
    """Split REST JSON (one post or a list of posts) into one wp-json document per post."""
    if isinstance(data, dict) and "code" in data and "message" in data and "id" not in data:
        yield SourceError(origin, f"WordPress error {data['code']}: {data['message']}")
        return
    posts = data if isinstance(data, list) else [data]
    for number, post in enumerate(posts, 1):
        if not isinstance(post, dict):
            yield SourceError(origin, f"item {number} is not a WordPress post (a JSON object)")
            continue
        link = post.get("link") if isinstance(post.get("link"), str) and post.get("link") else None
        name = link or f"{origin} post {post.get('id', number)}"
        try:  # the post parsed, but at a shallower stack: writing it back may still recurse too deep
            content = json.dumps(post, ensure_ascii=False)
        except RecursionError:
            yield SourceError(name, TOO_DEEP)
            continue
        yield SourceDocument(name=name, kind="wp-json", content=content, url=link)


# --- parsing ---------------------------------------------------------------------------


def _rendered(post: dict, key: str) -> str | None:
    value = post.get(key)
    if isinstance(value, dict):
        value = value.get("rendered")
    return value if isinstance(value, str) else None


def _is_post(value: Any) -> bool:
    return isinstance(value, dict) and _rendered(value, "content") is not None


def _load_posts(doc: SourceDocument) -> list[Any]:
    try:
        data = load_json(doc.content)
    except JsonTooDeep as err:
        raise SourceError(doc.name, str(err)) from None
    except json.JSONDecodeError as err:
        raise SourceError(doc.name, f"invalid JSON: {err}") from None
    if isinstance(data, dict) and "code" in data and "message" in data and not _is_post(data):
        raise SourceError(doc.name, f"WordPress error {data['code']}: {clean_text(str(data['message']))}")
    if _is_post(data):
        return [data]
    if isinstance(data, list) and data:
        return data
    if isinstance(data, list):
        raise SourceError(doc.name, "the WordPress response has no posts")
    raise SourceError(doc.name, "not a WordPress post or list of posts (no 'content.rendered')")


def _post_url(post: dict) -> str | None:
    link = post.get("link")
    return link.strip() if isinstance(link, str) and link.strip() else _rendered(post, "guid")


def _post_date(post: dict) -> date | None:
    try:
        return date.fromisoformat(str(post.get("date", ""))[:10])
    except ValueError:
        return None


def _parse_post(post: Any, name: str, doc: SourceDocument, single: bool) -> list[Article]:
    if not _is_post(post):
        raise SourceError(name, "not a WordPress post (no 'content.rendered')")
    title = _rendered(post, "title") or ""
    hints = [BeautifulSoup(safe_text(title), "lxml").get_text()] if title.strip() else []
    url = _post_url(post) or (doc.url if single else None)
    content = _rendered(post, "content") or ""  # {"rendered": html}, or the html itself
    articles = parse_html_page(content, name=name, url=url, hints=hints, near=_post_date(post))
    # Articles name the document they came from, so re-ingesting a file replaces them all.
    return [a.model_copy(update={"source": doc.name}) for a in articles]


def parse_wordpress_posts(doc: SourceDocument) -> list[PostResult]:
    """Per-post results ``(post name, articles or the SourceError)``; the post name is its link.

    One bad post does not lose the others. Raises SourceError only when the document itself is
    unusable (invalid JSON, a WordPress error object, neither a post nor a list of posts).
    """
    posts = _load_posts(doc)
    results: list[PostResult] = []
    for i, post in enumerate(posts, 1):
        link = _post_url(post) if isinstance(post, dict) else None
        name = link or (f"{doc.name}#{post.get('id', i)}" if isinstance(post, dict) else f"{doc.name}#{i}")
        try:
            results.append((name, _parse_post(post, name, doc, single=len(posts) == 1)))
        except SourceError as err:
            results.append((name, err))
    return results


@register_format(
    "wp-json", suffixes=(".json",), sniff=looks_like_posts, media_types=("json",), split=split_posts, priority=10
)
def parse_wordpress(doc: SourceDocument) -> list[Article]:
    """Articles of every post that parsed (duplicates by id dropped). Posts that fail are skipped
    silently; use ``parse_wordpress_posts`` to report them. Raises SourceError if no post parsed:
    a single post's own error, or a summary naming the first failure."""
    results = parse_wordpress_posts(doc)
    parsed = [r for _, r in results if isinstance(r, list)]
    if not parsed:
        errors = [r for _, r in results if isinstance(r, SourceError)]
        if len(errors) == 1:
            raise errors[0]
        raise SourceError(doc.name, f"none of the {len(errors)} posts could be parsed; first: {errors[0]}")
    articles: dict[str, Article] = {}
    for batch in parsed:
        for article in batch:
            articles.setdefault(article.id, article)
    return list(articles.values())
