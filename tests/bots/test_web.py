"""The web app over HTTP: health, JSON API, audio, podcast feed, login and limits, and the chat
driven by the real gradio_client against a running `assistant web`."""

from __future__ import annotations

import html
import io
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree as ET

import httpx
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from assistant.conversation import Turn
from assistant.models import Answer, RelatedArticle
from bots.web.app import create_app
from bots.web.render import sources_html
from bots.web.state import WebState
from bots.web.ui import EMPTY_INDEX, ChatHandlers
from tests.conftest import SEED_ARTICLE_ID, SEED_QUESTION, make_settings

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
# Near the digest's banking articles, but the bundled sample never mentions it: the core says so.
UNANSWERABLE = "What did the digest say about the collapse of Silicon Valley Bank?"
RELATED_KEYS = {"article_id", "title", "week", "issue_dates"}


def test_healthz(web_server):
    assert httpx.get(web_server.url + "/healthz").json() == {"status": "ok", "articles": 58}


def test_api_ask_has_the_cli_shape_and_cites_the_seed(web_server):
    out = httpx.post(web_server.url + "/api/ask", json={"question": SEED_QUESTION}, timeout=60).json()
    assert set(out) == {"question", "answer", "mode", "citations", "model", "verification", "notice", "related"}
    assert out["related"] == []  # only a question the digest does not answer gets related articles
    first = out["citations"][0]
    assert (first["article_id"], first["week"], first["issue_dates"]) == (SEED_ARTICLE_ID, 373, "November 1-7, 2024")
    assert "[1]" in out["answer"] and out["mode"] == "extractive"


def test_api_ask_applies_filters_and_history(web_server):
    out = httpx.post(
        web_server.url + "/api/ask", json={"question": SEED_QUESTION, "since": "2025-01-01"}, timeout=60
    ).json()
    assert SEED_ARTICLE_ID not in {c["article_id"] for c in out["citations"]}


def test_api_ask_offers_related_articles_not_citations_when_the_digest_has_no_answer(web_server):
    out = httpx.post(web_server.url + "/api/ask", json={"question": UNANSWERABLE}, timeout=60).json()
    assert out["citations"] == [] and "[1]" not in out["answer"]
    assert out["answer"].startswith("The digest has nothing that answers this.")
    assert 1 <= len(out["related"]) <= 3
    for related in out["related"]:
        assert set(related) == RELATED_KEYS and related["article_id"] and related["issue_dates"]
        assert isinstance(related["week"], int) and f"“{related['title']}” (Week {related['week']})" in out["answer"]


def test_api_history_takes_turns_with_the_articles_their_answers_cited(web_server):
    def ask(body: dict) -> dict:
        r = httpx.post(web_server.url + "/api/ask", json=body, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    first = ask({"question": SEED_QUESTION})
    turn = {
        "question": SEED_QUESTION,
        "articles": [c["article_id"] for c in first["citations"]],
        "titles": [c["title"] for c in first["citations"]],
    }
    follow_up = "Which week was that in?"
    alone = ask({"question": follow_up})
    assert alone["citations"] == [] and "Which answer do you mean?" in alone["answer"]  # no guessing
    for history in ([turn], ["How are tariffs changing manufacturing?", turn], [{"question": SEED_QUESTION}]):
        out = ask({"question": follow_up, "history": history})
        assert out["citations"][0]["article_id"] == SEED_ARTICLE_ID, history
        assert out["answer"].startswith("Week 373, November 1-7, 2024"), out["answer"]
    # The turn's articles are what the follow-up is answered from, not only its question's words.
    tariffs = "How are tariffs changing manufacturing?"
    oldest = ask({"question": tariffs, "order": "time"})["citations"][0]
    as_text = ask({"question": follow_up, "history": [tariffs]})
    as_turn = ask({"question": follow_up, "history": [{"question": tariffs, "articles": [oldest["article_id"]]}]})
    assert as_text["citations"][0]["article_id"] != oldest["article_id"]
    assert as_turn["citations"][0]["article_id"] == oldest["article_id"]
    assert as_turn["answer"].startswith(f"Week {oldest['week']}, {oldest['issue_dates']}")
    r = httpx.post(web_server.url + "/api/ask", json={"question": follow_up, "history": [{"articles": []}]})
    assert r.status_code == 400 and "history[0].question is required" in r.json()["error"]  # a turn needs its question


def test_api_ask_order(web_server):
    question = "How are tariffs changing manufacturing?"
    by = {
        order: httpx.post(web_server.url + "/api/ask", json={"question": question, "order": order}, timeout=60).json()
        for order in ("relevance", "time")
    }
    weeks = [c["week"] for c in by["time"]["citations"]]
    assert by["time"]["answer"].startswith("How the digest covered this over time")
    assert len(weeks) >= 2 and weeks == sorted(weeks)
    assert not by["relevance"]["answer"].startswith("How the digest covered this over time")
    r = httpx.post(web_server.url + "/api/ask", json={"question": question, "order": "sideways"}, timeout=60)
    assert r.status_code == 400 and r.json()["error"].startswith("order: ")


def test_api_search_shape(web_server):
    out = httpx.get(
        web_server.url + "/api/search", params={"q": "tariffs", "top_k": 3, "magazine": "The Meridian"}, timeout=60
    ).json()
    assert out["query"] == "tariffs" and 1 <= len(out["hits"]) <= 3
    assert all(h["magazine"] == "The Meridian" for h in out["hits"])
    assert set(out["hits"][0]) == {"article_id", "title", "score", "similarity", "week", "magazine", "published"}


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"question": "   "}, 400, "question is empty"),
        ({"question": SEED_QUESTION, "week": "abc"}, 400, "week must be a number"),
    ],
)
def test_api_bad_input_gets_a_specific_error(web_server, body, status, message):
    r = httpx.post(web_server.url + "/api/ask", json=body, timeout=60)
    assert r.status_code == status and message in r.json()["error"]


def test_oversized_request_is_refused(web_server):
    r = httpx.post(web_server.url + "/api/ask", json={"question": "x" * 100_000}, timeout=60)
    assert r.status_code == 413


def test_unknown_article_audio_is_404(web_server):
    r = httpx.get(web_server.url + "/listen/article/w999-nothing.mp3", timeout=60)
    assert r.status_code == 404 and "No article" in r.json()["error"]


def test_audio_is_served_from_the_cache_only(web_server):
    r = httpx.get(web_server.url + f"/listen/article/{SEED_ARTICLE_ID}.mp3", timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg"
    assert sf.info(io.BytesIO(r.content)).duration > 60
    cached = next((web_server.home / "audio").glob("*.mp3"))
    ok = httpx.get(web_server.url + f"/audio/{cached.name}")
    assert ok.status_code == 200 and ok.content == cached.read_bytes()
    for attack in (
        "/audio/..%2F..%2F..%2Fetc%2Fpasswd",
        "/audio/%2e%2e/%2e%2e/etc/passwd",
        "/audio/../chroma/chroma.sqlite3",
        f"/audio/{cached.stem}.json",
        "/audio/" + "0" * 40 + ".mp3",
    ):
        r = httpx.get(web_server.url + attack)
        assert r.status_code == 404, attack
        assert b"root:" not in r.content


def test_podcast_feed_lists_every_issue_with_real_enclosures(web_server):
    r = httpx.get(web_server.url + "/podcast.xml", timeout=300)
    assert r.headers["content-type"].startswith("application/rss+xml")
    channel = ET.fromstring(r.content).find("channel")
    items = channel.findall("item")
    assert channel.findtext("title") == "Informed i's Weekly Business Insights" and len(items) == 10
    weeks = set()
    for item in items:
        enclosure = item.find("enclosure")
        assert enclosure.get("type") == "audio/mpeg"
        audio = httpx.get(enclosure.get("url"), timeout=120).content
        assert int(enclosure.get("length")) == len(audio)
        h, m, s = map(int, item.findtext(f"{ITUNES}duration").split(":"))
        assert abs(h * 3600 + m * 60 + s - sf.info(io.BytesIO(audio)).duration) <= 1
        assert parsedate_to_datetime(item.findtext("pubDate")).year >= 2021
        weeks.add(item.findtext("title").split(",")[0])
    assert "Week 373" in weeks


def test_gradio_client_streams_a_cited_answer(web_server):
    from gradio_client import Client

    client = Client(web_server.url + "/", verbose=False)
    job = client.submit(SEED_QUESTION, [], "Any", "Any", "", "", "Any", "Any", api_name="/ask")
    updates = list(job)
    chat, _question_box, sources, _status = job.outputs()[-1]
    text = chat[-1]["content"][0]["text"] if isinstance(chat[-1]["content"], list) else chat[-1]["content"]
    assert len(updates) >= 3  # the answer arrived in pieces, not at once
    assert "[1]" in text and "Building Mastery" in text
    assert "Week 373 · November 1-7, 2024" in sources and f'data-article="{SEED_ARTICLE_ID}"' in sources


def test_gradio_client_shows_related_cards_for_a_question_the_digest_does_not_answer(web_server):
    from gradio_client import Client

    client = Client(web_server.url + "/", verbose=False)
    chat, _question_box, sources, _status = client.predict(
        UNANSWERABLE, [], "Any", "Any", "", "", "Any", "Any", api_name="/ask"
    )
    text = chat[-1]["content"][0]["text"] if isinstance(chat[-1]["content"], list) else chat[-1]["content"]
    assert text.startswith("The digest has nothing that answers this.") and "[1]" not in text
    assert "<h3>Sources</h3>" not in sources and "<h3>Related, not an answer</h3>" in sources
    assert sources.count('<article class="card related"') == sources.count('<article class="card') >= 1


# --- in-process: login, and the page's states -------------------------------------------------
def test_basic_login_guards_everything_but_health(sample_assistant, tmp_path):
    settings = make_settings(tmp_path, web_auth="reader:s3cret")
    with TestClient(create_app(sample_assistant, settings)) as client:
        assert client.get("/healthz").status_code == 200
        for path in ("/", "/api/search?q=tariffs", "/podcast.xml"):
            assert client.get(path).status_code == 401
        assert client.get("/api/search?q=tariffs", auth=("reader", "wrong")).status_code == 401
        assert client.get("/api/search?q=tariffs", auth=("reader", "s3cret")).status_code == 200


def _last(gen):
    return list(gen)[-1]


def test_chat_states(sample_assistant, tmp_path):
    from assistant import Assistant

    handlers = ChatHandlers(WebState(sample_assistant, sample_assistant.settings))
    no_filters = ("Any", "Any", "", "", "Any", "Any")
    *_, status = _last(handlers.respond("  ", [], [], *no_filters))
    assert status == "Type a question about the digest first."
    chat, history, _, sources, last, _ = _last(
        handlers.respond("What is a good sourdough recipe?", [], [], *no_filters)
    )
    assert "nothing" in chat[-1]["content"].lower() and "<h3>Sources</h3>" not in sources and last["citations"] == []
    chat, _, _, _, _, _ = _last(handlers.respond(SEED_QUESTION, [], [], "Any", "Any", "soon", "", "Any", "Any"))
    assert "Since must be a date" in chat[-1]["content"]

    class Broken:
        def ask_stream(self, *args):
            raise RuntimeError("/secret/path/chroma.sqlite3 is locked")

    broken = ChatHandlers(WebState(sample_assistant, sample_assistant.settings))
    broken.assistant = Broken()
    chat, *_ = _last(broken.respond(SEED_QUESTION, [], [], *no_filters))
    assert chat[-1]["content"].startswith("⚠️ Something went wrong") and "/secret" not in chat[-1]["content"]

    with Assistant(make_settings(tmp_path / "empty")) as empty:
        *_, status = _last(ChatHandlers(WebState(empty, empty.settings)).respond(SEED_QUESTION, [], [], *no_filters))
        assert status == EMPTY_INDEX


def test_a_question_the_digest_does_not_answer_gets_related_cards_not_sources(sample_assistant):
    handlers = ChatHandlers(WebState(sample_assistant, sample_assistant.settings))
    no_filters = ("Any", "Any", "", "", "Any", "Any")
    chat, history, _, sources, last, _ = _last(handlers.respond(UNANSWERABLE, [], [], *no_filters))
    assert last["found"] is False and last["citations"] == [] and 1 <= len(last["related"]) <= 3
    assert chat[-1]["content"].startswith("The digest has nothing that answers this.")
    assert "<h3>Sources</h3>" not in sources and 'class="sources"' not in sources  # no citation cards
    assert sources.count("<h3>Related, not an answer</h3>") == 1
    cards = sources.split('<article class="card related"')[1:]
    assert len(cards) == len(last["related"]) == sources.count('<article class="card')
    for card, related in zip(cards, last["related"]):
        assert card.startswith(f' data-article="{html.escape(related["article_id"])}"')
        assert '<div class="mark">Related, not an answer</div>' in card
        assert f"<h4>{html.escape(related['title'])}</h4>" in card
        assert f'<div class="issue">Week {related["week"]}, {html.escape(related["issue_dates"])}</div>' in card
        assert f'data-src="/listen/article/{html.escape(related["article_id"])}.mp3">🔊 Listen</button>' in card
        assert '<audio class="player"' in card
    assert history == [Turn(question=UNANSWERABLE)]  # nothing cited: a follow-up has no articles to search within


def test_related_cards_escape_the_digest_text():
    evil = RelatedArticle(article_id='w1-x"><script>', title="<img src=x onerror=alert(1)>", week=1, issue_dates="<b>")
    out = sources_html(Answer(question="q", text="No.", found=False, related=[evil]))
    assert "<script>" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out and "Week 1, &lt;b&gt;" in out
    assert 'data-article="w1-x&quot;&gt;&lt;script&gt;"' in out


def test_follow_up_uses_the_session_history(sample_assistant):
    handlers = ChatHandlers(WebState(sample_assistant, sample_assistant.settings))
    no_filters = ("Any", "Any", "", "", "Any", "Any")
    chat, history, _, _, first, _ = _last(handlers.respond(SEED_QUESTION, [], [], *no_filters))
    assert history == [Turn.of(SEED_QUESTION, Answer.model_validate(first))]
    assert history[0].articles == [SEED_ARTICLE_ID]  # the follow-up searches the cited article first
    chat, history, _, sources, last, _ = _last(handlers.respond("And what helps it?", chat, history, *no_filters))
    assert len(chat) == 4 and last["citations"][0]["article_id"] == SEED_ARTICLE_ID
    assert [t.question for t in history] == [SEED_QUESTION, "And what helps it?"]
    for n in range(7):
        _, history, *_ = _last(handlers.respond(f"Question {n} about tariffs?", [], history, *no_filters))
    assert len(history) == 6 and all(isinstance(t, Turn) for t in history)  # bounded: the last six turns
    assert handlers.new_chat()[:2] == ([], [])
