"""The soak's users: web API clients and Telegram users asking the gold questions and their
follow-ups, listening, browsing and subscribing, and hostile ones (oversized, empty, malformed,
unknown weeks, no login, floods).

Each user is closed-loop: it waits for its answer (or its refusal) before its next message, so
the load never outruns the machine and every question has one outcome: served, refused as
documented (a hostile input), an unexpected error, or (Telegram) lost: no reply in time.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bots.common.errors import SOMETHING_WENT_WRONG
from evals.quality import GoldQuestion

# Idle connections are dropped after 2 s, before uvicorn's 5 s keep-alive closes them: a request
# sent on a connection the server is closing at that moment fails with ReadError, a race of the
# client's pool (browsers retry it), not a server fault. httpx's default expiry is 5 s too.
_LIMITS = httpx.Limits(keepalive_expiry=2.0)
SENDS = ("sendMessage", "editMessageText", "sendVoice")
SLOW_DOWN = "You're sending messages faster than I can answer"  # bots/common/ratelimit.py's slow_down
PUSH_HEADING = "A new issue is out"  # bots/telegram/handlers.py's push_issue
NO_ANSWER = "The digest has nothing that answers this"
QUOTED_NOTICE = "quotes the digest"  # the notice of an answer quoted when the model's failed


@dataclass
class ChannelStats:
    """One channel's outcomes."""

    name: str
    served: Counter = field(default_factory=Counter)  # by kind of request
    refused: Counter = field(default_factory=Counter)  # hostile inputs refused as documented, by kind
    unexpected: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # Telegram: a question with no reply in time
    latencies: list[float] = field(default_factory=list)  # seconds to each request served
    refusal_latencies: list[float] = field(default_factory=list)
    modes: Counter = field(default_factory=Counter)  # answers: llm / extractive / with a fallback notice

    by_kind: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def ok(self, kind: str, seconds: float) -> None:
        self.served[kind] += 1
        self.latencies.append(seconds)
        self.by_kind[kind].append(seconds)

    def refusal(self, kind: str, seconds: float) -> None:
        self.refused[kind] += 1
        self.refusal_latencies.append(seconds)

    def error(self, what: str) -> None:
        self.unexpected.append(f"{time.strftime('%H:%M:%S')} {what}")


def filter_fields(q: GoldQuestion) -> dict[str, Any]:
    """A gold question's filters as the web API's fields."""
    f = q.filters
    out: dict[str, Any] = {}
    if f.week_from is not None:
        out["week"] = str(f.week_from) if f.week_to in (None, f.week_from) else f"{f.week_from}-{f.week_to}"
    for name in ("since", "until"):
        if getattr(f, name) is not None:
            out[name] = getattr(f, name).isoformat()
    for name in ("magazine", "author", "topic"):
        if getattr(f, name):
            out[name] = getattr(f, name)
    return out


# --- the web API -------------------------------------------------------------------------------


class WebClient:
    """Requests to `assistant serve`'s web app with the login, each with one recorded outcome."""

    def __init__(self, url: str, auth: tuple[str, str], stats: ChannelStats, timeout: float):
        self.url, self.auth, self.stats = url, auth, stats
        self.http = httpx.AsyncClient(base_url=url, auth=auth, timeout=timeout, limits=_LIMITS)

    async def close(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        kind: str,
        method: str,
        path: str,
        expect: set[int] = frozenset({200}),  # type: ignore[assignment]
        hostile: bool = False,
        client: httpx.AsyncClient | None = None,
        **kwargs: Any,
    ) -> httpx.Response | None:
        started = time.monotonic()
        try:
            r = await (client or self.http).request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.stats.error(f"web {kind}: {method} {path[:80]}: {type(exc).__name__}: {str(exc)[:200]}")
            return None
        seconds = time.monotonic() - started
        if r.status_code not in expect:
            self.stats.error(
                f"web {kind}: {method} {path[:80]}: HTTP {r.status_code}, expected {sorted(expect)}: {r.text[:300]!r}"
            )
            return None
        if hostile:
            # The API's errors are {"error"} (docs/web.md); other paths that match no route get
            # the mounted Gradio app's own 404, {"detail"}, which is fine as long as it is a 404.
            if r.status_code >= 400 and path.startswith(("/api/", "/listen/")) and "error" not in _json(r):
                self.stats.error(f"web {kind}: HTTP {r.status_code} without an {{error}} body: {r.text[:200]!r}")
                return None
            self.stats.refusal(kind, seconds)
        else:
            self.stats.ok(kind, seconds)
        return r

    async def ask(self, kind: str, question: str, history: list[Any], **fields: Any) -> dict[str, Any] | None:
        r = await self.call(kind, "POST", "/api/ask", json={"question": question, "history": history, **fields})
        if r is None:
            return None
        body = _json(r)
        problem = answer_problem(body)
        if problem:
            self.stats.error(f"web {kind}: a malformed answer ({problem}) to {question[:80]!r}")
            return None
        self.stats.modes[body.get("mode") or "?"] += 1
        if body.get("notice"):
            self.stats.modes["with a notice"] += 1
        return body


def answer_problem(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("answer"), str) or not body["answer"].strip():
        return "no answer text"
    if not isinstance(body.get("citations"), list):
        return "no citations list"
    for c in body["citations"]:
        if not c.get("article_id") or f"[{c.get('n')}]" not in body["answer"]:
            return f"citation {c.get('n')} without its marker or article"
    return None


def _json(r: httpx.Response) -> dict[str, Any]:
    try:
        body = r.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def turn_of(question: str, answer: dict[str, Any] | None) -> dict[str, Any]:
    """A history item the API takes: the question and what its answer cited."""
    cites = (answer or {}).get("citations") or []
    return {
        "question": question,
        "articles": [c["article_id"] for c in cites][:20],
        "titles": [c.get("title") or "" for c in cites][:20],
    }


async def web_user(
    web: WebClient, gold: list[GoldQuestion], rng: random.Random, until: float, think: tuple[float, float]
) -> None:
    """Gold questions (with their earlier turns), follow-ups about the answer, searches, audio."""
    while time.monotonic() < until:
        q = rng.choice(gold)
        history: list[Any] = []
        for earlier in q.history:
            before = await web.ask("ask", earlier, history)
            history = [*history, turn_of(earlier, before)][-6:]
        answer = await web.ask("follow-up" if q.history else "ask", q.question, history, **filter_fields(q))
        cited = [c["article_id"] for c in (answer or {}).get("citations") or []]
        related = [r.get("article_id") for r in (answer or {}).get("related") or [] if r.get("article_id")]
        roll = rng.random()
        if answer and cited and roll < 0.25:
            meta = rng.choice(["Which week was that in?", "Who wrote it?", "Which magazine was that?"])
            await web.ask("follow-up", meta, [*history, turn_of(q.question, answer)])
        elif (cited or related) and roll < 0.55:
            r = await web.call("listen", "GET", f"/listen/article/{rng.choice(cited or related)}.mp3")
            if r is not None and (r.headers.get("content-type") != "audio/mpeg" or len(r.content) < 1000):
                web.stats.error(f"web listen: {r.headers.get('content-type')} of {len(r.content)} bytes")
        elif roll < 0.7:
            await web.call("search", "GET", "/api/search", params={"q": q.question, "top_k": rng.randint(1, 10)})
        elif roll < 0.75:
            await web.call("episode", "GET", f"/listen/week/{rng.choice([373, 374, 454])}.{rng.choice(['mp3', 'ogg'])}")
        elif roll < 0.8:
            r = await web.call("feed", "GET", "/podcast.xml")
            if r is not None and b"<rss" not in r.content[:500]:
                web.stats.error("web feed: /podcast.xml is not RSS")
        elif roll < 0.83:
            await web.call("health", "GET", "/healthz")
        await asyncio.sleep(rng.uniform(*think))


async def _chunked(total: int) -> AsyncIterator[bytes]:
    yield b'{"question": "'
    for _ in range(total // 8192):
        yield b"a" * 8192
    yield b'"}'


def hostile_web_requests(question: str, big: int) -> list[tuple[str, str, str, set[int], dict[str, Any]]]:
    """(kind, method, path, the statuses the docs promise, request arguments); ``big`` is over the body limit."""
    q = question
    return [
        ("body over the limit", "POST", "/api/ask", {413}, {"json": {"question": "a" * big}}),
        ("streamed body over the limit", "POST", "/api/ask", {413}, {"content": _chunked(big)}),
        ("empty question", "POST", "/api/ask", {400}, {"json": {"question": ""}}),
        ("blank question", "POST", "/api/ask", {400}, {"json": {"question": "  \n\t "}}),
        ("question over the field limit", "POST", "/api/ask", {400}, {"json": {"question": "why " * 1200}}),
        ("question over the answer limit", "POST", "/api/ask", {400}, {"json": {"question": "why " * 300}}),
        ("week past any issue", "POST", "/api/ask", {400}, {"json": {"question": q, "week": "9" * 25}}),
        ("week that is not a number", "POST", "/api/ask", {400}, {"json": {"question": q, "week": "three"}}),
        # Taken as a range that holds nothing ("the filters may be too narrow"), not refused.
        ("reversed week range", "POST", "/api/ask", {400}, {"json": {"question": q, "week": "380-370"}}),
        ("impossible date", "POST", "/api/ask", {400}, {"json": {"question": q, "since": "2024-13-45"}}),
        ("unknown order", "POST", "/api/ask", {400}, {"json": {"question": q, "order": "random"}}),
        (
            "body that is not JSON",
            "POST",
            "/api/ask",
            {400},
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
        ),
        (
            "lone surrogate",
            "POST",
            "/api/ask",
            {400},
            {"content": b'{"question": "tariffs \\ud800?"}', "headers": {"content-type": "application/json"}},
        ),
        ("history too long", "POST", "/api/ask", {400}, {"json": {"question": q, "history": ["x"] * 50}}),
        ("history item of the wrong type", "POST", "/api/ask", {400}, {"json": {"question": q, "history": [42]}}),
        ("search without a query", "GET", "/api/search", {400}, {}),
        ("search top_k out of range", "GET", "/api/search", {400}, {"params": {"q": q, "top_k": 1000}}),
        ("unknown article audio", "GET", "/listen/article/no-such-article.mp3", {404}, {}),
        ("unknown week audio", "GET", "/listen/week/999.mp3", {404}, {}),
        ("week audio that is not a number", "GET", "/listen/week/abc.mp3", {400}, {}),
        ("week audio past any issue", "GET", "/listen/week/" + "9" * 30 + ".mp3", {404}, {}),
        ("negative week audio", "GET", "/listen/week/-3.mp3", {404}, {}),
        ("unknown audio format", "GET", "/listen/week/373.flac", {404}, {}),
        ("audio name with a path", "GET", "/audio/..%2F..%2F..%2Fetc%2Fpasswd", {404}, {}),
        ("audio name that is no hash", "GET", "/audio/server.log", {404}, {}),
    ]


async def hostile_web_user(
    web: WebClient, rng: random.Random, until: float, think: tuple[float, float], big: int
) -> None:
    anonymous = httpx.AsyncClient(base_url=web.url, timeout=web.http.timeout, limits=_LIMITS)
    wrong = httpx.AsyncClient(
        base_url=web.url, timeout=web.http.timeout, auth=(web.auth[0], web.auth[1] + "x"), limits=_LIMITS
    )
    cases = hostile_web_requests("How are tariffs changing manufacturing?", big)
    try:
        while time.monotonic() < until:
            rng.shuffle(cases)
            for kind, method, path, expect, kwargs in cases:
                if time.monotonic() >= until:
                    break
                if kind.startswith("streamed"):
                    kwargs = {"content": _chunked(big)}  # a generator is used up once sent
                await web.call(kind, method, path, expect, hostile=True, **kwargs)
                await asyncio.sleep(rng.uniform(*think))
            await web.call("no login", "POST", "/api/ask", {401}, True, anonymous, json={"question": "hello"})
            await web.call("wrong password", "GET", "/api/search", {401}, True, wrong, params={"q": "tariffs"})
            await web.call("no login for audio", "GET", "/podcast.xml", {401}, True, anonymous)
    finally:
        await anonymous.aclose()
        await wrong.aclose()


# --- Telegram ----------------------------------------------------------------------------------


class BotApi:
    """The Bot API stand-in in its own process, driven over its ``/_control/`` routes: updates in,
    the bot's calls out (polled into ``calls`` and indexed by chat)."""

    def __init__(self, url: str):
        self.http = httpx.AsyncClient(base_url=url, timeout=60, limits=_LIMITS)
        self.calls: list[dict[str, Any]] = []
        self.by_chat: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._changed = asyncio.Condition()
        self.poll_errors = 0

    async def close(self) -> None:
        await self.http.aclose()

    async def poll(self, stop: asyncio.Event, every: float = 0.1) -> None:
        while not stop.is_set():
            await self.fetch()
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                pass
        await self.fetch()

    async def fetch(self) -> None:
        try:
            r = await self.http.get("/_control/calls", params={"after": len(self.calls)})
            new = r.json()["calls"]
        except (httpx.HTTPError, ValueError, KeyError):
            self.poll_errors += 1
            return
        if not new:
            return
        self.calls.extend(new)
        for call in new:
            if call.get("chat_id") is not None:
                self.by_chat[int(call["chat_id"])].append(call)
        async with self._changed:
            self._changed.notify_all()

    async def message(self, chat_id: int, text: str | None, **extra: Any) -> tuple[int, float]:
        """Queue a user's message; (the number of calls recorded before it, wall time)."""
        r = await self.http.post("/_control/message", json={"chat_id": chat_id, "text": text, "extra": extra})
        r.raise_for_status()
        return int(r.json()["calls"]), time.time()

    async def press(self, chat_id: int, data: str, message_id: int) -> tuple[int, float, str]:
        r = await self.http.post("/_control/press", json={"chat_id": chat_id, "data": data, "message_id": message_id})
        r.raise_for_status()
        body = r.json()
        return int(body["calls"]), time.time(), str(body["query_id"])

    async def fail(self, method: str, **how: Any) -> None:
        (await self.http.post("/_control/fail", json={"method": method, **how})).raise_for_status()

    def sent(self, chat_id: int, after: int = 0) -> list[dict[str, Any]]:
        return [c for c in self.by_chat.get(chat_id, []) if c["seq"] >= after and c["status"] == 200]

    async def wait(
        self, chat_id: int, after: int, done: Callable[[dict[str, Any]], bool], timeout: float
    ) -> dict[str, Any] | None:
        """The first successful call to ``chat_id`` recorded after ``after`` for which ``done`` holds."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                for call in self.sent(chat_id, after):
                    if done(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    pass


def is_trouble(call: dict[str, Any]) -> bool:
    return call["text"] == SOMETHING_WENT_WRONG or call["text"].startswith(SLOW_DOWN)


def terminal(expect: str) -> Callable[[dict[str, Any]], bool]:
    """When a turn is over: ``answer`` and ``line`` end with an HTML message (an answer's preview
    is plain text), ``listing`` with an HTML message, ``voice`` with a voice note or an HTML line;
    any turn ends with "something went wrong" or "please wait"."""

    def done(call: dict[str, Any]) -> bool:
        if call["method"] not in SENDS:
            return False
        if is_trouble(call):
            return True
        if expect == "voice":
            return call["method"] == "sendVoice" or call["parse_mode"] == "HTML"
        return call["method"] != "sendVoice" and call["parse_mode"] == "HTML"

    return done


@dataclass
class TelegramUser:
    api: BotApi
    stats: ChannelStats
    chat_id: int
    timeout: float
    questions: int = 0  # questions sent that must get a reply

    async def turn(
        self, kind: str, text: str | None, expect: str = "answer", hostile: bool = False, **extra: Any
    ) -> dict[str, Any] | None:
        """Send one message and wait for its reply; record the outcome."""
        mark, sent_at = await self.api.message(self.chat_id, text, **extra)
        return await self._outcome(kind, text or f"<{', '.join(extra)}>", mark, sent_at, expect, hostile)

    async def press(self, kind: str, data: str, message_id: int, hostile: bool = False) -> dict[str, Any] | None:
        mark, sent_at, query_id = await self.api.press(self.chat_id, data, message_id)
        if hostile:  # an expired or forged button: an alert on the press, no message
            self.questions += 1
            answered = await self._callback_answer(mark, query_id)
            if answered is None:
                self.stats.lost.append(f"chat {self.chat_id}: {kind}: no answer to the button press")
            elif "expired" not in answered["text"].lower():
                self.stats.error(f"telegram {kind}: the press was answered {answered['text'][:120]!r}")
            else:
                self.stats.refusal(kind, answered["wall"] - sent_at)
            return answered
        return await self._outcome(kind, f"button {data}", mark, sent_at, "voice", hostile)

    async def _callback_answer(self, mark: int, query_id: str) -> dict[str, Any] | None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for call in self.api.calls[mark:]:
                if call["method"] == "answerCallbackQuery" and call["callback_query_id"] == query_id:
                    return call
            await asyncio.sleep(0.2)
        return None

    async def _outcome(
        self, kind: str, text: str, mark: int, sent_at: float, expect: str, hostile: bool
    ) -> dict[str, Any] | None:
        self.questions += 1
        reply = await self.api.wait(self.chat_id, mark, terminal(expect), self.timeout)
        if reply is None:
            self.stats.lost.append(f"chat {self.chat_id}: {kind}: no reply in {self.timeout:.0f} s to {text[:80]!r}")
            return None
        seconds = reply["wall"] - sent_at
        if reply["text"] == SOMETHING_WENT_WRONG:
            self.stats.error(f"telegram {kind}: 'something went wrong' for {text[:80]!r}")
        elif reply["text"].startswith(SLOW_DOWN):
            self.stats.error(f"telegram {kind}: rate-limited at the soak's pace: {text[:80]!r}")
        elif expect == "voice" and reply["method"] != "sendVoice":
            self.stats.error(f"telegram {kind}: no voice note for {text[:80]!r}: {reply['text'][:160]!r}")
        elif expect == "listing" and not reply["callback_data"]:
            follow = await self.api.wait(self.chat_id, reply["seq"] + 1, lambda c: bool(c["callback_data"]), 5)
            if follow is None:
                self.stats.error(f"telegram {kind}: no listing for {text[:80]!r}: {reply['text'][:160]!r}")
            else:
                self.stats.ok(kind, seconds)
        elif hostile:
            self.stats.refusal(kind, seconds)
        else:
            self.stats.ok(kind, seconds)
        return reply


async def telegram_user(
    user: TelegramUser, gold: list[GoldQuestion], rng: random.Random, until: float, think: tuple[float, float]
) -> None:
    """Gold questions (earlier turns first, in the same chat), follow-ups, 🔊 buttons, /listen, /reset."""
    while time.monotonic() < until:
        q = rng.choice(gold)
        if q.history or rng.random() < 0.3:
            await user.turn("reset", "/reset")
        for earlier in q.history:
            await user.turn("ask", earlier)
            await asyncio.sleep(rng.uniform(*think))
        text = q.question if rng.random() < 0.7 else f"/ask {q.question}"
        reply = await user.turn("follow-up" if q.history else "ask", text)
        await asyncio.sleep(rng.uniform(*think))
        if reply is None:
            continue
        roll = rng.random()
        cited = "Week " in reply["text"] and "[1]" in reply["text"]
        user.stats.modes[
            "cited" if cited else "no answer in the digest" if NO_ANSWER in reply["text"] else "other"
        ] += 1
        if QUOTED_NOTICE in reply["text"]:
            user.stats.modes["with a fallback notice"] += 1
        if cited and roll < 0.25:
            await user.turn("follow-up", rng.choice(["Which week was that in?", "Who wrote it?"]))
        elif reply["callback_data"] and roll < 0.45:
            await user.press("listen button", reply["callback_data"][0], int(reply["message_id"]))
        elif reply["callback_data"] and roll < 0.6:
            await user.turn("listen", f"/listen {rng.randint(1, len(reply['callback_data']))}", "voice")
        await asyncio.sleep(rng.uniform(*think))


async def telegram_browser(
    user: TelegramUser, rng: random.Random, until: float, think: tuple[float, float], weeks: list[int]
) -> None:
    """/latest, /week, /topic, /search, /episode, /help: listings and whole-issue audio."""
    actions: list[tuple[str, str, str]] = [
        ("latest", "/latest", "listing"),
        ("week", f"/week {rng.choice(weeks)}", "listing"),
        ("topic", "/topic leadership", "listing"),
        ("search", "/search tariffs and manufacturing", "listing"),
        ("help", "/help", "answer"),
        ("episode", "/episode", "voice"),
        ("episode", f"/episode {rng.choice(weeks)}", "voice"),
    ]
    while time.monotonic() < until:
        kind, text, expect = rng.choice(actions)
        await user.turn(kind, text, expect)
        await asyncio.sleep(rng.uniform(*think))


HOSTILE_TELEGRAM: list[tuple[str, str | None, dict[str, Any]]] = [
    ("/ask with nothing", "/ask", {}),
    ("question over the limit", "why " * 400, {}),
    ("message at Telegram's limit", ("é<b>&amp;</script>🚀 " * 400)[:4096], {}),
    ("control characters", "tariffs\u0000\u0007\u200b\u202e and manufacturing?", {}),
    ("week past any issue", "/week 99999999999999999999999", {}),
    ("unknown week", "/week 999", {}),
    ("week that is not a number", "/week three", {}),
    ("/week with nothing", "/week", {}),
    ("unknown episode", "/episode 999", {}),
    ("/listen out of range", "/listen 99", {}),
    ("/listen unknown article", "/listen no-such-article", {}),
    ("unknown topic", "/topic zzqxv", {}),
    ("/search with nothing", "/search", {}),
    ("unknown command", "/frobnicate now", {}),
    ("voice message", None, {"voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 3}}),
    ("photo", None, {"photo": [{"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90}]}),
]


async def hostile_telegram_user(
    user: TelegramUser, rng: random.Random, until: float, think: tuple[float, float]
) -> None:
    cases = list(HOSTILE_TELEGRAM)
    while time.monotonic() < until:
        rng.shuffle(cases)
        for kind, text, extra in cases:
            if time.monotonic() >= until:
                break
            await user.turn(kind, text, "answer", hostile=True, **extra)
            await asyncio.sleep(rng.uniform(*think))
        await user.press("forged button", "v:nosuchkey:1", 1, hostile=True)


@dataclass
class FloodResult:
    sent: int
    answered: int
    slow_downs: int
    troubles: int


async def flood(user: TelegramUser, n: int, burst: int, timeout: float) -> FloodResult:
    """``n`` questions at once from one user: ``burst`` are answered, the next one is told to slow
    down, the rest are dropped quietly."""
    mark = len(user.api.calls)
    for i in range(n):
        mark_i, _ = await user.api.message(user.chat_id, f"Flood question {i}: how are tariffs changing manufacturing?")
        mark = min(mark, mark_i)
    deadline = time.monotonic() + timeout

    def tally() -> tuple[int, int, int]:
        sent = [c for c in user.api.sent(user.chat_id, mark) if c["method"] in SENDS]
        answers = sum(1 for c in sent if c["parse_mode"] == "HTML" and not is_trouble(c))
        slow = sum(1 for c in sent if c["text"].startswith(SLOW_DOWN))
        trouble = sum(1 for c in sent if c["text"] == SOMETHING_WENT_WRONG)
        return answers, slow, trouble

    while time.monotonic() < deadline and tally()[0] < burst:
        await asyncio.sleep(0.5)
    await asyncio.sleep(5)  # anything more would be a reply to a dropped message
    answered, slow, trouble = tally()
    user.questions += burst
    if answered < burst:
        user.stats.lost.extend(f"chat {user.chat_id}: flood: question {i} unanswered" for i in range(answered, burst))
    if slow != 1 or answered > burst + 1 or trouble:
        user.stats.error(f"telegram flood of {n}: {answered} answered, {slow} slow-down notices, {trouble} failures")
    user.stats.served["flood answer"] += min(answered, burst)
    user.stats.refused["flood (please wait)"] += slow
    return FloodResult(n, answered, slow, trouble)
