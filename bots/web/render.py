"""HTML for the web page: source cards under an answer, an issue in the Browse tab, its
episode player with chapters. All digest text is escaped: it is data, never markup."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from assistant.brand import DIGEST_NAME, WEB_TAGLINE
from assistant.models import (
    Answer,
    Article,
    AudioClip,
    Citation,
    Issue,
    IssueListing,
    RelatedArticle,
    clock,
    format_date,
)

# Click handling for the HTML blocks: Listen buttons load and play that article's audio in the
# card; chapter buttons seek the episode player.
PAGE_JS = """
element.addEventListener('click', (event) => {
  const listen = event.target.closest('button.listen');
  if (listen) {
    const player = listen.closest('.card').querySelector('audio.player');
    if (player.getAttribute('src') !== listen.dataset.src) player.setAttribute('src', listen.dataset.src);
    player.hidden = false;
    player.play().catch(() => {});
    return;
  }
  const chapter = event.target.closest('button.chapter');
  if (chapter) {
    const player = element.querySelector('audio.episode');
    player.currentTime = parseFloat(chapter.dataset.start);
    player.play().catch(() => {});
  }
});
"""

CSS = """
.digest-header h1 { margin: 0 0 .2em; font-size: 1.7em; }
.digest-header p { margin: 0; opacity: .8; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 12px 14px; }
.card h4 { margin: 0 0 4px; font-size: 1.02em; }
.card .n { font-weight: 700; margin-right: 4px; }
.card .meta, .card .issue { font-size: .88em; opacity: .85; }
.card blockquote { margin: 8px 0; padding-left: 10px; border-left: 3px solid var(--color-accent); font-size: .92em; }
.card .actions { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; font-size: .9em; }
.card button.listen, button.chapter { cursor: pointer; border: 1px solid var(--border-color-primary);
  border-radius: 6px; padding: 2px 10px; background: var(--button-secondary-background-fill); }
.card audio { width: 100%; margin-top: 8px; }
.card.related { border-style: dashed; }
.card .mark, .related-note { font-size: .85em; opacity: .8; }
.card .mark { font-weight: 600; margin-bottom: 4px; }
.takeaways { margin: 6px 0; padding-left: 1.2em; }
.topics { font-size: .85em; opacity: .8; }
.episode-box audio { width: 100%; }
.chapters { list-style: none; padding: 0; }
.chapters li { margin: 3px 0; }
"""


def header_html() -> str:
    return f'<header class="digest-header"><h1>{escape(DIGEST_NAME)}</h1><p>{escape(WEB_TAGLINE)}</p></header>'


def _link(url: str | None, text: str) -> str:
    if not url or not url.startswith(("http://", "https://")):
        return escape(text)
    return f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{escape(text)}</a>'


def _listen(article_id: str) -> str:
    # Percent-encoded: JSONL ids are free text, and a "?", "#" or newline in one (browsers drop
    # newlines from URLs) would make the button load another article's audio, or none.
    src = f"/listen/article/{quote(article_id, safe='', errors='replace')}.mp3"
    return f'<button class="listen" data-src="{escape(src)}">🔊 Listen</button>'


def citation_card(c: Citation) -> str:
    meta = " · ".join(escape(p) for p in (c.magazine, c.author, format_date(c.published)) if p)
    issue = f"Week {c.week} · {c.issue_dates}" if c.week is not None else c.issue_dates
    links = " · ".join(
        x
        for x in (
            _link(c.url, "Read the article") if c.url else "",
            _link(c.issue_url, "Weekly post") if c.issue_url else "",
        )
        if x
    )
    return (
        f'<article class="card" id="source-{c.n}" data-article="{escape(c.article_id)}">'
        f'<h4><span class="n">[{c.n}]</span>{_link(c.url, c.title)}</h4>'
        f'<div class="meta">{meta}</div><div class="issue">{_link(c.issue_url, issue)}</div>'
        f"<blockquote>{escape(c.quote)}</blockquote>"
        f'<div class="actions">{_listen(c.article_id)}{links}</div>'
        '<audio class="player" controls preload="none" hidden></audio></article>'
    )


RELATED_HEADING = "Related, not an answer"
RELATED_NOTE = "The digest does not answer this. These are the closest articles it has: reading, not evidence."


def related_card(r: RelatedArticle) -> str:
    """A near article offered with a refusal: marked as such, with no quote, as nothing was cited from it."""
    issue = Issue(week=r.week, dates=r.issue_dates).label  # "Week 420, September 26 – October 4, 2025"
    return (
        f'<article class="card related" data-article="{escape(r.article_id)}">'
        f'<div class="mark">{escape(RELATED_HEADING)}</div><h4>{escape(r.title)}</h4>'
        f'<div class="issue">{escape(issue)}</div>'
        f'<div class="actions">{_listen(r.article_id)}</div>'
        '<audio class="player" controls preload="none" hidden></audio></article>'
    )


def sources_html(answer: Answer | None) -> str:
    """The cited sources' cards; for an answer the digest does not have, its related articles, apart."""
    if answer is None:
        return ""
    sections = []
    if answer.citations:
        cards = "".join(citation_card(c) for c in answer.citations)
        sections.append(f'<section class="sources"><h3>Sources</h3><div class="cards">{cards}</div></section>')
    if answer.related:
        cards = "".join(related_card(r) for r in answer.related)
        sections.append(
            f'<section class="related"><h3>{escape(RELATED_HEADING)}</h3>'
            f'<p class="related-note">{escape(RELATED_NOTE)}</p><div class="cards">{cards}</div></section>'
        )
    return "".join(sections)


def answer_markdown(answer: Answer) -> str:
    """The chat bubble: the answer, and a note when it is not what the user might expect."""
    text = answer.text
    if answer.notice:
        text += f"\n\n*{answer.notice}*"
    return text


def article_card(a: Article) -> str:
    meta = " · ".join(escape(p) for p in (a.magazine, a.author, format_date(a.published)) if p)
    takeaways = "".join(f"<li>{escape(t)}</li>" for t in a.takeaways)
    topics = ", ".join(escape(t) for t in a.topics)
    return (
        f'<article class="card" data-article="{escape(a.id)}"><h4>{_link(a.url, a.title)}</h4>'
        f'<div class="meta">{meta}</div>'
        + (f'<ul class="takeaways">{takeaways}</ul>' if takeaways else "")
        + (f'<div class="topics">Topics: {topics}</div>' if topics else "")
        + f'<div class="actions">{_listen(a.id)}</div><audio class="player" controls preload="none" hidden></audio>'
        "</article>"
    )


def issue_html(listing: IssueListing, episode: AudioClip | None) -> str:
    issue = listing.issue
    title = _link(issue.url, issue.label or "Issue")
    player = ""
    if episode is not None and issue.week is not None:
        chapters = "".join(
            f'<li><button class="chapter" data-start="{c.start}">{clock(c.start)}</button> {escape(c.title)}</li>'
            for c in episode.chapters
        )
        player = (
            f'<div class="episode-box"><h4>The whole issue ({int(episode.duration) // 60} min)</h4>'
            f'<audio class="episode" controls preload="none" src="/listen/week/{issue.week}.mp3"></audio>'
            f'<ul class="chapters">{chapters}</ul></div>'
        )
    cards = "".join(article_card(a) for a in listing.articles)
    return f'<section class="issue"><h3>{title} · {len(listing.articles)} articles</h3>{player}<div class="cards">{cards}</div></section>'
