"""Questions about the previous answer itself ("Which week was that in?", "Who wrote it?"),
answered in one line from the cited articles' metadata, with the citation, instead of a quote."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.models import Answer, Article, Citation, format_date
from assistant.questions import AboutAnswer

WHICH_ANSWER = (
    "Which answer do you mean? Ask about a topic first; then “which week was that in?” or “who wrote it?” "
    "is answered from the articles it cites."
)


def about_articles(question: str, asked: AboutAnswer, articles: Sequence[Article]) -> Answer:
    """One line per article the previous answer cited (the first three), each cited; or, with no
    previous answer to speak of, a request to ask something first (never a guess)."""
    if not articles:
        return Answer(question=question, text=WHICH_ANSWER, found=False)
    lines, citations = [], []
    for n, article in enumerate(articles[:3], start=1):
        lines.append(f"{_line(asked, article)} [{n}]")
        citations.append(Citation.for_article(n, article, ""))
    return Answer(question=question, text="\n".join(lines), citations=citations, found=bool(citations))


def _line(asked: AboutAnswer, a: Article) -> str:
    title = f"“{a.title}”"
    issue = a.issue.label or "an undated issue"
    by = f" by {a.author}" if a.author else ""
    where = f" in {a.magazine}" if a.magazine else ""
    if asked is AboutAnswer.WEEK:
        return f"{issue}: {title}{by}{where}."
    if asked is AboutAnswer.AUTHOR:
        who = a.author or "The digest does not name the author of"
        return f"{who} wrote {title}{where} ({issue})." if a.author else f"{who} {title} ({issue})."
    if asked is AboutAnswer.MAGAZINE:
        return f"{title} appeared in {a.magazine} ({issue})." if a.magazine else f"{title} names no magazine ({issue})."
    if asked is AboutAnswer.DATE:
        published = format_date(a.published)
        return f"{title} was published on {published}, in {issue}." if published else f"{title} is in {issue}."
    if asked is AboutAnswer.LINK:
        if a.url and a.url.lower().startswith(("http://", "https://")):  # as the renderers allow
            return f"{title}: {a.url} ({issue})."
        return f"{title} has no link in the digest ({issue})."
    return f"{title}{by}{where} ({issue})."
