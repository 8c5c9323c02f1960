"""What is spoken for an article, a whole issue, an answer or free text.

A script is a list of parts; each part becomes one chapter of the audio, so players can skip
from article to article in an issue episode."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.brand import DIGEST_NAME
from assistant.models import Answer, Article, IssueListing, format_date
from assistant.speech.normalize import sentence, speech_text

_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()


@dataclass(frozen=True)
class Part:
    title: str  # the chapter title
    text: str  # already normalised for speech


@dataclass(frozen=True)
class Script:
    title: str
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.parts)


def count_words(n: int, noun: str) -> str:
    """ "Three key takeaways", "Ten articles": small counts read as words, as a presenter would."""
    number = _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)
    return f"{number.capitalize()} {noun}{'' if n == 1 else 's'}"


def byline(article: Article) -> str:
    """ "by Lynda Gratton, in MIT Sloan Management Review, October 29, 2024"."""
    parts = []
    if article.author:
        parts.append(f"by {article.author}")
    if article.magazine:
        parts.append(f"in {article.magazine}")
    if article.published:
        parts.append(format_date(article.published))
    return ", ".join(parts)


def _article_lines(article: Article, heading: str, summary: bool) -> list[str]:
    """Heading, byline, "Two key takeaways" and the takeaways, then (optionally) the summary."""
    lines = [sentence(heading)]
    if by := byline(article):
        lines.append(sentence(by[0].upper() + by[1:]))
    if article.takeaways:
        lines.append(sentence(count_words(len(article.takeaways), "key takeaway")))
        lines.extend(sentence(t) for t in article.takeaways)
    if summary and article.summary:
        lines.append("Summary.")
        lines.extend(sentence(p) for p in article.summary)
    return [line for line in lines if line]


def article_script(article: Article) -> Script:
    text = "\n".join(_article_lines(article, article.title, summary=True))
    return Script(title=article.title, parts=(Part(article.title, text),))


def issue_intro(listing: IssueListing) -> str:
    """ "Informed i's Weekly Business Insights, week 373, November 1 to 7, 2024. Ten articles."."""
    issue = listing.issue
    head = DIGEST_NAME
    if issue.week is not None:
        head += f", week {issue.week}"
    if issue.dates:
        head += f", {issue.dates}"
    return f"{sentence(head)} {sentence(count_words(len(listing.articles), 'article'))}"


def issue_script(listing: IssueListing, full: bool = False) -> Script:
    """The whole issue as one episode: an intro, then each article's title, source and
    takeaways (and, with ``full``, its summary). One chapter per article."""
    parts = [Part("Introduction", issue_intro(listing))]
    total = len(listing.articles)
    for n, article in enumerate(listing.articles, start=1):
        lines = _article_lines(article, f"Article {n} of {total}: {article.title}", summary=full)
        parts.append(Part(article.title, "\n".join(lines)))
    title = listing.issue.label or "Issue"
    return Script(title=f"{DIGEST_NAME}: {title}", parts=tuple(parts))


def short_title(title: str) -> str:
    """The part of a title before its subtitle: "Building Mastery: What Leaders…" -> "Building Mastery"."""
    head = re.split(r"[:?!]\s|\s[–—-]\s", title, maxsplit=1)[0].strip()
    return head if len(head) >= 12 else title


def answer_script(answer: Answer) -> Script:
    """The answer without citation markers or links, then its sources by short title."""
    body = speech_text(answer.text)
    lines = [body if body.endswith((".", "!", "?")) else body + "."]
    if answer.citations:
        titles = "; ".join(speech_text(short_title(c.title)) for c in answer.citations)
        lines.append(sentence(f"Sources: {titles}"))
    return Script(title=answer.question or "Answer", parts=(Part("Answer", "\n".join(lines)),))


def text_script(text: str) -> Script:
    return Script(title="Text", parts=(Part("Text", speech_text(text)),))
