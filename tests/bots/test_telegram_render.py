"""The Telegram bot's pure parts: HTML rendering and splitting, the rate limiter, the chat memory,
the bot's SQLite state, and the Bot API stand-in's own HTML check (the other tests rely on it)."""

from __future__ import annotations

import html
import random
import re
import threading
from datetime import date

import pytest

from assistant.models import Answer, Article, Citation, Issue, IssueListing, RelatedArticle
from bots.common.memory import ChatState
from bots.common.ratelimit import RateLimiter
from bots.common.storage import BotStore
from bots.telegram.render import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    answer_html,
    episode_caption,
    issue_html,
    link,
    split_html,
    utf16_len,
)
from tests.fakes.bot_api import html_problem, visible_text

ISSUE_URL = "https://informedi.org/2024/11/07/weekly-business-insights-week-373/"
ARTICLE_URL = "https://sloanreview.mit.edu/article/building-mastery/?a=1&b=2"


def citation(n: int = 1, **overrides) -> Citation:
    values = dict(
        n=n,
        article_id="w373-building-mastery",
        title="Building Mastery: What Leaders Do <That> Helps & Impedes",
        author="Lynda Gratton",
        magazine="MIT Sloan Management Review",
        published=date(2024, 10, 29),
        week=373,
        issue_dates="November 1-7, 2024",
        issue_url=ISSUE_URL,
        url=ARTICLE_URL,
        quote="Mastery is an idea.",
    )
    values.update(overrides)
    return Citation(**values)


def shown(parts: list[str]) -> str:
    return visible_text("\n\n".join(parts), "HTML")


def words(text: str) -> list[str]:
    return text.split()


# --- rendering ------------------------------------------------------------------------------
def test_answer_html_escapes_text_and_links_article_and_weekly_post():
    answer = Answer(
        question="q",
        text="Leaders <b>hoard</b> expertise & time [1].\n\nSecond paragraph [1].",
        citations=[citation()],
        notice="A note <for> you",
    )
    out = answer_html(answer)
    assert html_problem(out) is None, out
    assert "&lt;b&gt;hoard&lt;/b&gt;" in out and "&amp; time" in out  # the answer's own text is never markup
    assert (
        f'<a href="{html.escape(ARTICLE_URL)}">Building Mastery: What Leaders Do &lt;That&gt; Helps &amp; Impedes</a>'
        in out
    )
    assert f'<a href="{ISSUE_URL}">Week 373, November 1-7, 2024</a>' in out
    assert "<i>A note &lt;for&gt; you</i>" in out
    assert visible_text(out, "HTML").count("\n\n") == 3  # two answer paragraphs, the notice, the sources


def test_citation_without_links_or_week_is_plain_text():
    out = answer_html(
        Answer(question="q", text="x [1]", citations=[citation(url=None, issue_url="javascript:x()", week=None)])
    )
    assert "<a " not in out and html_problem(out) is None
    assert "November 1-7, 2024 · Building Mastery" in visible_text(out, "HTML")


def related(n: int, **overrides) -> RelatedArticle:
    values = dict(
        article_id=f"w40{n}-banks", title=f"Banks <b>&</b> Lending {n}", week=400 + n, issue_dates="May 1-7, 2025"
    )
    values.update(overrides)
    return RelatedArticle(**values)


def refusal(*related_articles: RelatedArticle) -> Answer:
    return Answer(
        question="q", text="The digest has nothing that answers this.", found=False, related=list(related_articles)
    )


def test_a_refusal_lists_its_related_articles_numbered_escaped_and_marked_as_no_answer():
    out = answer_html(refusal(related(1), related(2), related(3, week=None, issue_dates="")))
    assert html_problem(out) is None, out
    assert "<b>1.</b> Banks &lt;b&gt;&amp;&lt;/b&gt; Lending 1 · Week 401, May 1-7, 2025" in out
    text = visible_text(out, "HTML")
    assert text.startswith("The digest has nothing that answers this.\n\nRelated, not an answer\n1. Banks <b>&</b>")
    assert "\n2. Banks <b>&</b> Lending 2 · Week 402, May 1-7, 2025\n3. Banks <b>&</b> Lending 3\n" in text
    assert "Sources" not in text and "[1]" not in text
    assert split_html(out) == [out]
    assert "Related" not in answer_html(refusal())  # nothing related: nothing listed
    # An answer numbers its sources for 🔊; related articles never share those numbers.
    assert "Related" not in answer_html(
        Answer(question="q", text="x [1]", citations=[citation()], related=[related(1)])
    )


def test_the_chat_remembers_a_refusals_related_articles_as_its_numbered_list():
    state = ChatState()
    state.remember("q1", Answer(question="q1", text="x [1]", citations=[citation()]))
    assert state.sources == ["w373-building-mastery"]
    state.remember("q2", refusal())  # no related articles: the last list stays
    assert state.sources == ["w373-building-mastery"]
    state.remember("q3", refusal(related(1), related(2)))
    assert state.sources == ["w401-banks", "w402-banks"] and state.source(2) == "w402-banks"
    assert [t.articles for t in state.history] == [["w373-building-mastery"], [], []]  # related are not cited


def test_issue_listing_numbers_articles_with_takeaways():
    articles = [
        Article(
            id=f"a{i}",
            title=f"Title {i} & more",
            magazine="HBR",
            takeaways=[f"Point {i}a", f"Point {i}b"],
            issue=Issue(week=373, dates="November 1-7, 2024", url=ISSUE_URL),
        )
        for i in (1, 2)
    ]
    listing = IssueListing(issue=articles[0].issue, articles=articles)
    with_points, titles_only = issue_html(listing, takeaways=True), issue_html(listing, takeaways=False)
    for out in (with_points, titles_only):
        assert html_problem(out) is None
        assert "<b>1.</b> Title 1 &amp; more" in out and "<b>2.</b> Title 2 &amp; more" in out
    assert "• Point 2b" in with_points and "Point" not in titles_only


def test_episode_caption_fits_the_caption_limit_with_whole_lines():
    from assistant.models import AudioClip, Chapter

    listing = IssueListing(issue=Issue(week=454, dates="May 22-28, 2026"), articles=[])
    clip = AudioClip(
        path="x.ogg",
        format="ogg",
        duration=3600,
        sample_rate=48000,
        engine="e",
        voice="v",
        chapters=[Chapter(start=i * 30, title=f"Chapter {i} — “quoted” & long " * 3) for i in range(80)],
    )
    caption = episode_caption(listing, clip)
    assert utf16_len(caption) <= CAPTION_LIMIT and html_problem(caption) is None
    assert caption.endswith("…") and "0:00 Chapter 0" in caption


# --- splitting ------------------------------------------------------------------------------
def long_answer_html(paragraphs: int = 40) -> str:
    body = [
        f"Paragraph {i}: leaders who hoard expertise slow learning — “quoted” & <escaped> 🚀 [{i % 3 + 1}]. " * 4
        for i in range(paragraphs)
    ]
    return answer_html(Answer(question="q", text="\n\n".join(body), citations=[citation(n) for n in (1, 2, 3)]))


def test_short_message_is_one_part():
    out = answer_html(Answer(question="q", text="Short [1].", citations=[citation()]))
    assert split_html(out) == [out]


def test_long_answer_splits_at_paragraph_boundaries_under_the_limit():
    out = long_answer_html()
    assert utf16_len(out) > 2 * MESSAGE_LIMIT
    parts = split_html(out)
    assert len(parts) >= 3
    paragraphs = out.split("\n\n")
    for part in parts:
        assert utf16_len(part) <= MESSAGE_LIMIT
        assert html_problem(part) is None, part[:200]
        # every part is made of whole paragraphs of the original
        assert all(p in paragraphs for p in part.split("\n\n")), part[:200]
    assert shown(parts) == visible_text(out, "HTML")  # nothing lost, nothing repeated


def test_one_huge_paragraph_is_cut_at_spaces_and_keeps_tags_balanced():
    text = "<b>" + " ".join(f"word{i} &amp; <i>it&#x27;s {i}</i>" for i in range(3000)) + "</b>"
    parts = split_html(text, limit=1000)
    assert len(parts) > 10
    for part in parts:
        assert utf16_len(part) <= 1000
        assert html_problem(part) is None, part[:120]
        assert part.startswith("<b>") and part.endswith("</b>")  # the bold run is closed and reopened
        assert not re.search(r"&[#\w]*$|&[#\w]*<", part)  # no entity cut in half
    assert words(shown(parts)) == words(visible_text(text, "HTML"))


def test_a_word_longer_than_a_message_is_cut_inside_the_word():
    text = "<i>" + "x" * 250 + "😀" * 200 + "</i> end"
    parts = split_html(text, limit=100)
    assert all(utf16_len(p) <= 100 and html_problem(p) is None for p in parts)
    assert "".join(visible_text(p, "HTML") for p in parts).replace(" ", "") == visible_text(text, "HTML").replace(
        " ", ""
    )


def within(seconds: float, render, *args):
    """``render(*args)`` in a thread: a loop that never ends fails the test instead of hanging it."""
    result: dict = {}

    def run() -> None:
        try:
            result["value"] = render(*args)
        except BaseException as exc:  # reported to the test thread
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True, name="render-under-test")
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"{render.__name__} did not finish within {seconds:g} s"
    if "error" in result:
        raise result["error"]
    return result["value"]


def no_space(text: str) -> str:
    """Cuts drop the whitespace they are made at, and a word cut in two is split by one."""
    return re.sub(r"\s+", "", text)


def assert_valid_parts(parts: list[str], original: str, limit: int = MESSAGE_LIMIT) -> None:
    assert parts
    for part in parts:
        assert utf16_len(part) <= limit, (utf16_len(part), part[:120])
        assert html_problem(part) is None, (html_problem(part), part[:120])
    assert no_space("".join(visible_text(p, "HTML") for p in parts)) == no_space(visible_text(original, "HTML"))


URL_5K = "https://example.org/track?" + "&".join(f"k{i}=v{i}" for i in range(560))
URL_50K = "https://example.org/huge/" + "segment-" * 6250
LONG_WORD = "Supercalifragilistic" * 500  # 10,000 characters, no space to cut at


def test_an_answer_citing_articles_with_5_and_50_kb_urls_renders_in_parts_that_fit():
    assert 5000 <= len(URL_5K) < 6000 and len(URL_50K) > 50_000 and len(LONG_WORD) == 10_000
    answer = Answer(
        question="q",
        text=f"Leaders hoard expertise [1]. A very long token follows [2]:\n\n{LONG_WORD}\n\nThe end [3].",
        citations=[
            citation(1, url=URL_5K),
            citation(2, url=URL_50K, title="Fifty kilobytes & more"),
            citation(3),  # an ordinary link still links
        ],
    )
    out = answer_html(answer)
    parts = within(60, split_html, out)
    assert_valid_parts(parts, out)
    text = visible_text("\n\n".join(parts), "HTML")
    assert "Leaders hoard expertise [1]." in text and "The end [3]." in text
    assert "Fifty kilobytes & more" in text and text.count("Building Mastery: What Leaders Do <That>") == 2
    assert no_space(LONG_WORD) in no_space(text)  # the word, cut into pieces, every piece kept
    assert f'<a href="{html.escape(ARTICLE_URL)}">' in "".join(parts)


def test_a_listing_with_5_and_50_kb_urls_and_a_10_kb_takeaway_renders_in_parts_that_fit():
    issue = Issue(week=373, dates="November 1-7, 2024", url=URL_50K)
    articles = [
        Article(id="a1", title="Five kilobytes", url=URL_5K, takeaways=["Point one", LONG_WORD], issue=issue),
        Article(id="a2", title="Fifty kilobytes", url=URL_50K, takeaways=["Point two"], issue=issue),
        Article(id="a3", title="Ordinary", url=ARTICLE_URL, takeaways=["Point three"], issue=issue),
    ]
    out = issue_html(IssueListing(issue=issue, articles=articles), takeaways=True, heading="📬 A new issue is out")
    parts = within(60, split_html, out)
    assert_valid_parts(parts, out)
    text = visible_text("\n\n".join(parts), "HTML")
    for expected in ("Week 373, November 1-7, 2024 · 3 articles", "1. Five kilobytes", "2. Fifty kilobytes"):
        assert expected in text
    assert "3. Ordinary" in text and "• Point three" in text


@pytest.mark.parametrize("limit", [64, 200, 1000, MESSAGE_LIMIT])
def test_tags_too_long_for_a_message_never_hang_the_split(limit):
    """Links whose opening tag alone fills a message, nested in bold, next to long words, entities and emoji."""
    pieces = [
        "<b>" + link("bold link", "https://e.org/?" + "a=1&" * (limit // 2)) + " tail</b>",
        "<i>" + link("x" * (3 * limit), "https://e.org/" + "b" * (2 * limit)) + "</i>",
        "<b>" + "😀" * (2 * limit) + "</b>",
        "&amp;" * limit,
        link("short", "https://e.org/short"),
    ]
    text = " ".join(pieces)
    parts = within(60, split_html, text, limit)
    assert_valid_parts(parts, text, limit)


def test_random_html_always_splits_into_valid_parts():
    rng = random.Random(14)
    atoms = ["word", "&amp;", "&lt;", "😀", " ", "\n", "\n\n", "x" * 300]
    for _ in range(40):
        limit = rng.choice([40, 120, 700, MESSAGE_LIMIT])
        chunks = []
        for _ in range(rng.randint(1, 60)):
            roll = rng.random()
            if roll < 0.15:
                url = "https://e.org/" + "p" * rng.choice([5, limit // 3, limit, 5 * limit])
                chunks.append(link(rng.choice(["t", "title & more", "y" * 90]), url))
            elif roll < 0.25:
                tag = rng.choice(["b", "i"])
                chunks.append(f"<{tag}>" + "".join(rng.choices(atoms, k=rng.randint(1, 20))) + f"</{tag}>")
            else:
                chunks.append("".join(rng.choices(atoms, k=rng.randint(1, 20))))
        text = "".join(chunks)
        parts = within(60, split_html, text, limit)
        if visible_text(text, "HTML").strip():
            assert_valid_parts(parts, text, limit)


def test_line_breaks_are_preferred_to_spaces():
    lines = [f"line {i} " + "x" * 40 for i in range(30)]
    parts = split_html("\n".join(lines), limit=300)
    for part in parts:
        assert all(line in lines for line in part.split("\n"))


# --- the stand-in's HTML check --------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        "<b>open",
        "</b>",
        "<b><i>x</b></i>",
        "<div>x</div>",
        "a < b",
        "a & b",
        "&nbsp;",
        '<a title="x">y</a>',
        "<a>y</a>",
    ],
)
def test_html_check_refuses_what_telegram_refuses(bad):
    assert html_problem(bad) is not None


def test_html_check_accepts_telegram_html():
    assert html_problem('<b>x</b> <a href="https://e.org/?a=1&amp;b=2">y &lt;z&gt;</a> &#x27; &quot;') is None


# --- rate limit -------------------------------------------------------------------------------
def test_rate_limit_allows_a_burst_then_warns_once_then_refills():
    now = [0.0]
    limiter = RateLimiter(per_minute=6, burst=3, clock=lambda: now[0])
    assert [limiter.check(1) for _ in range(3)] == ["ok"] * 3
    assert limiter.check(1) == "warn"
    assert limiter.wait_seconds(1) == 10
    assert limiter.check(1) == "drop"
    assert limiter.check(2) == "ok"  # per user
    now[0] = 10.0
    assert limiter.check(1) == "ok"
    assert limiter.check(1) == "warn"  # told again after the next time it runs out


# --- the bot's SQLite state -----------------------------------------------------------------
def test_subscriptions_and_file_ids_persist_across_restarts(tmp_path):
    store = BotStore(tmp_path / "telegram.sqlite3")
    assert store.subscribe(10, newest_week=373) and not store.subscribe(10, newest_week=374)
    assert store.subscribe(11, newest_week=None)
    store.remember_voice_file(1, "audiokey", "file-1")
    key = store.source_key(["w373-a", "w374-b"])
    store.close()

    store = BotStore(tmp_path / "telegram.sqlite3")
    assert store.subscribers() == [(10, 373), (11, None)]
    assert store.due(373) == [11] and store.due(374) == [10, 11]
    store.delivered(10, 374)
    assert store.due(374) == [11]
    assert store.voice_file(1, "audiokey") == "file-1" and store.voice_file(2, "audiokey") is None
    assert store.sources(key) == ["w373-a", "w374-b"] and store.source_key(["w373-a", "w374-b"]) == key
    assert len(f"v:{key}:10".encode()) <= 64
    assert store.unsubscribe(10) and not store.unsubscribe(10)
    store.close()
