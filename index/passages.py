"""Cut an article into retrieval passages: one head passage (title, topics, takeaways)
and summary passages of about ``target_words`` words on sentence boundaries."""

from __future__ import annotations

from assistant.models import Article, Passage
from assistant.sentences import split_sentences


def head_text(article: Article) -> str:
    lines = [article.title]
    if article.topics:
        lines.append("Topics: " + ", ".join(article.topics))
    lines.extend(article.takeaways)
    return "\n".join(lines)


def split_article(article: Article, target_words: int = 110) -> list[Passage]:
    texts = [head_text(article)]
    current: list[str] = []
    count = 0
    for paragraph in article.summary:
        for sentence in split_sentences(paragraph):
            words = len(sentence.split())
            # Close a passage at the target size; a paragraph break closes it early
            # when it is already more than half full, so passages follow the text's own units.
            if current and count + words > target_words:
                texts.append(" ".join(current))
                current, count = [], 0
            current.append(sentence)
            count += words
        if current and count >= target_words // 2:
            texts.append(" ".join(current))
            current, count = [], 0
    if current:
        texts.append(" ".join(current))
    return [
        Passage(id=f"{article.id}#{i}", article_id=article.id, seq=i, kind="head" if i == 0 else "summary", text=t)
        for i, t in enumerate(texts)
    ]


def embedding_text(article: Article, passage: Passage) -> str:
    """What the model sees: summary passages carry their title, so a passage that never
    names its subject ("the author's research...") still lands near it."""
    return passage_embedding_text(article.title, passage.kind, passage.text)


def passage_embedding_text(title: str, kind: str, text: str) -> str:
    """``embedding_text`` from stored fields (an article's title, a passage's kind and text)."""
    return text if kind == "head" else f"{title}\n{text}"
