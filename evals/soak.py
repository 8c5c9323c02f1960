"""Soak test: everything at once on 127.0.0.1 for N minutes, then a report.

    python -m evals.soak --minutes 10

- a Chroma server (`chroma run`), the sample digest ingested into it by `assistant ingest`;
- `assistant serve` (the web chat and the Telegram bot in one process) over that server, its
  language model a flaky OpenAI-protocol stand-in (slow replies, hangs, 5xx, dropped
  connections, cut streams) and its Telegram a Bot API stand-in that now and then answers 5xx
  or 429, or drops a connection;
- web API users and Telegram users asking the gold questions (`evals/gold.jsonl`) and their
  follow-ups, listening, browsing and subscribing, and hostile ones (oversized, empty,
  malformed, unknown weeks, no login, a flood from one user);
- every cycle, another process ingests a JSONL folder whose records changed (a new issue, an
  edited article, a withdrawn one) into the Chroma server, and the soak checks that the serving
  process sees it, on the web and in Telegram, and that subscribers get the new issue;
- the serve process's memory sampled all along; `assistant check --json` at the end when that
  command exists.

The report gives, per channel, what was served, the hostile inputs refused as documented (the
4xx and specific lines, counted apart), unexpected errors, lost answers (a Telegram message with
no reply), p50/p95 latency, and the memory at start, after warm-up, at most and at the end. It
exits 1 on any unexpected error, any lost answer, or a failed check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from assistant import chroma_server
from evals.bench_support import load_avg, percentiles
from evals.quality import load_gold
from evals.soak_services import (
    CheckResult,
    Child,
    Expectation,
    RecordFeed,
    RssSample,
    RssSampler,
    SoakError,
    arun_assistant,
    clean_env,
    integrity_check,
    run_assistant,
    start_stand_in,
)
from evals.soak_traffic import (
    PUSH_HEADING,
    BotApi,
    ChannelStats,
    FloodResult,
    TelegramUser,
    WebClient,
    flood,
    hostile_telegram_user,
    hostile_web_user,
    telegram_browser,
    telegram_user,
    web_user,
)
from evals.web_bench import start as start_web
from evals.web_bench import stop as stop_web

TOKEN = "555000:SOAK-" + "x" * 30  # the stand-in accepts any token it was started with
WARM_DONE = "audio of the newest issue's articles ready"  # bots/web/server.py's _warm_episodes
WARM_FAILED = "warming the audio cache failed"
SAMPLE_WEEKS = [203, 225, 231, 373, 374, 386, 420, 434, 454]


@dataclass
class SoakOptions:
    minutes: float = 10.0
    web_users: int = 4
    telegram_users: int = 4
    subscribers: int = 2
    reingest_every: float = 60.0  # seconds between ingests of the changing records
    flood_every: float = 150.0  # seconds between floods from one Telegram user (0: none)
    fault_every: float = 30.0  # seconds between Bot API faults (0: none)
    reply_timeout: float = 300.0  # a Telegram message with no reply by then is lost
    visible_within: float = 90.0  # an ingest the serving process has not seen by then is an error
    rss_every: float = 5.0
    seed: int = 14
    speech_engine: str | None = None  # None: the product's default
    push_interval: float = 10.0
    rate_burst: int = 6
    rate_per_minute: float = 40.0  # the soak's users pace themselves under it; the flood goes over
    llm_rates: dict[str, float] = field(default_factory=dict)  # Flaky's rates; empty: its defaults
    think_web: tuple[float, float] = (0.5, 3.0)
    think_telegram: tuple[float, float] = (2.0, 5.0)
    workdir: Path | None = None  # kept when given; else a temporary folder, removed afterwards
    warm_up_wait: float = 600.0  # most seconds to wait for serve's audio warm-up (before ingests, before stopping)
    ingest_during_warm_up: bool = False  # True: the first ingests race serve's audio warm-up (a known bug)


@dataclass
class IngestStats:
    cycles: int = 0
    ok: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    seconds: list[float] = field(default_factory=list)  # each ingest process, start to exit
    visible_after: list[float] = field(default_factory=list)  # ingest done -> seen by serve (web)
    unexpected: list[str] = field(default_factory=list)
    newest_week: int | None = None
    first_at: float = 0.0  # seconds into the traffic of the first ingest


@dataclass
class SoakReport:
    options: SoakOptions
    minutes_run: float = 0.0
    web: ChannelStats = field(default_factory=lambda: ChannelStats("web"))
    telegram: ChannelStats = field(default_factory=lambda: ChannelStats("telegram"))
    ingest: IngestStats = field(default_factory=IngestStats)
    floods: list[FloodResult] = field(default_factory=list)
    pushes: dict[int, set[int]] = field(default_factory=dict)  # subscriber -> weeks pushed to it
    push_missing: list[str] = field(default_factory=list)
    telegram_questions: int = 0
    faults_injected: Counter = field(default_factory=Counter)
    llm: dict[str, Any] = field(default_factory=dict)
    rss: list[RssSample] = field(default_factory=list)
    serve_log_errors: list[str] = field(default_factory=list)
    serve_log_expected: list[str] = field(default_factory=list)  # ERRORs an injected fault explains
    serve_exit: str = ""
    warm_up: str = ""
    serve_unclean: bool = False
    check: CheckResult | None = None
    load_avg: float = 0.0

    @property
    def unexpected(self) -> list[str]:
        shutdown = [f"serve: {self.serve_exit}"] if self.serve_unclean else []
        return [
            *self.web.unexpected,
            *self.telegram.unexpected,
            *self.ingest.unexpected,
            *self.serve_log_errors,
            *shutdown,
        ]

    @property
    def lost(self) -> list[str]:
        return [*self.telegram.lost, *self.push_missing]

    @property
    def check_failed(self) -> bool:
        return self.check is not None and self.check.available and not self.check.ok

    @property
    def passed(self) -> bool:
        return not self.unexpected and not self.lost and not self.check_failed

    def summary(self) -> dict[str, Any]:
        """The figures as JSON (for --json and the test)."""
        return {
            "minutes": round(self.minutes_run, 2),
            "passed": self.passed,
            "unexpected_errors": len(self.unexpected),
            "lost_answers": len(self.lost),
            "channels": {s.name: _channel_summary(s) for s in (self.web, self.telegram)},
            "telegram_questions": self.telegram_questions,
            "ingest": {k: v for k, v in vars(self.ingest).items() if k not in ("seconds", "visible_after")},
            "rss_mb": _rss_summary(self.rss),
            "check": None if self.check is None else vars(self.check),
            "errors": self.unexpected[:50],
            "lost": self.lost[:50],
        }

    def text(self) -> str:
        o = self.options
        lines = [
            f"Soak: {o.minutes:g} min of traffic on 127.0.0.1, {self.minutes_run:.1f} min with the last replies and "
            f"pushes (load average {self.load_avg:.1f} at the end); "
            f"{o.web_users} web users + 1 hostile, {o.telegram_users} Telegram users + 1 browsing + 1 hostile "
            f"+ {o.subscribers} subscribers; re-ingest every {o.reingest_every:.0f} s",
            "",
            f"{'channel':<10} {'served':>7} {'hostile, refused as documented':>31} {'unexpected':>11} {'lost':>5} "
            f"{'p50':>8} {'p95':>8}",
        ]
        for s in (self.web, self.telegram):
            p50, p95 = percentiles(s.latencies) if s.latencies else (float("nan"), float("nan"))
            lines.append(
                f"{s.name:<10} {sum(s.served.values()):>7} {sum(s.refused.values()):>31} {len(s.unexpected):>11} "
                f"{len(s.lost):>5} {p50:>7.2f}s {p95:>7.2f}s"
            )
        for s in (self.web, self.telegram):
            kinds = [k for k, v in sorted(s.by_kind.items(), key=lambda kv: -len(kv[1])) if len(v) >= 5]
            lines.append(
                f"  {s.name} p50/p95 by kind: "
                + ", ".join(
                    f"{k} {percentiles(s.by_kind[k])[0]:.2f}/{percentiles(s.by_kind[k])[1]:.2f} s" for k in kinds
                )
            )
        lines += ["", "Served, by kind:"]
        for s in (self.web, self.telegram):
            lines.append(f"  {s.name}: " + ", ".join(f"{k} {v}" for k, v in sorted(s.served.items())))
            lines.append(f"  {s.name} answers: " + ", ".join(f"{k} {v}" for k, v in sorted(s.modes.items())))
            lines.append(f"  {s.name} hostile: " + ", ".join(f"{k} {v}" for k, v in sorted(s.refused.items())))
        lines.append(
            f"Telegram: {self.telegram_questions} messages that needed a reply, {len(self.telegram.lost)} lost; "
            "floods: "
            + (
                ", ".join(
                    f"{n}× ({sent} sent, {answered} answered, {slow} told to wait)"
                    for (sent, answered, slow), n in Counter(
                        (f.sent, f.answered, f.slow_downs) for f in self.floods
                    ).items()
                )
                or "none"
            )
        )
        pushed = sum(len(w) for w in self.pushes.values())
        lines.append(
            f"Weekly push: {pushed} issue pushes to {len(self.pushes)} subscribers; newest week "
            f"{self.ingest.newest_week} " + ("reached every subscriber" if not self.push_missing else "MISSING")
        )
        g = self.ingest
        vis = percentiles(g.visible_after) if g.visible_after else (float("nan"), float("nan"))
        took = percentiles(g.seconds) if g.seconds else (float("nan"), float("nan"))
        lines.append(
            f"Re-ingest (separate process, into the Chroma server, from +{g.first_at:.0f} s"
            f"{'' if self.options.ingest_during_warm_up else ', after the audio warm-up'}): {g.ok}/{g.cycles} cycles ok "
            f"(+{g.added} added, {g.updated} updated, {g.removed} removed); ingest p50 {took[0]:.1f} s; "
            f"seen by serve after p50 {vis[0]:.1f} s, max {max(g.visible_after, default=float('nan')):.1f} s"
        )
        lines.append(
            "LLM stand-in (flaky): "
            + ", ".join(f"{k} {v}" for k, v in sorted((self.llm.get("replies") or {}).items()))
            + f" of {sum((self.llm.get('requests') or {}).values())} requests"
        )
        lines.append(
            "Bot API faults injected: "
            + (", ".join(f"{k} {v}" for k, v in sorted(self.faults_injected.items())) or "none")
        )
        r = _rss_summary(self.rss)
        if r:
            lines.append(
                f"Serve RSS (MB): start {r['start']:.0f}, after warm-up {r['warm']:.0f}, max {r['max']:.0f}, "
                f"end {r['end']:.0f} (with child processes: start {r['tree_start']:.0f}, max {r['tree_max']:.0f}, "
                f"end {r['tree_end']:.0f}); growth after warm-up {r['end'] - r['warm']:+.0f} MB"
            )
            lines.append("  by minute: " + " ".join(f"{v:.0f}" for v in r["by_minute"]))
        lines.append(
            f"Serve log: {len(self.serve_log_errors)} unexpected ERROR records, {len(self.serve_log_expected)} "
            f"explained by injected faults; {self.warm_up}; {self.serve_exit}"
        )
        lines.append(self.check.summary if self.check else "check: not run")
        if self.unexpected:
            lines += ["", f"Unexpected errors ({len(self.unexpected)}):", *(f"  {e}" for e in self.unexpected[:40])]
        if self.lost:
            lines += ["", f"Lost answers ({len(self.lost)}):", *(f"  {e}" for e in self.lost[:40])]
        verdict = "PASS" if self.passed else "FAIL"
        lines += [
            "",
            f"{verdict}: {len(self.unexpected)} unexpected errors, {len(self.lost)} lost answers, "
            + (
                "check failed"
                if self.check_failed
                else "check ok"
                if self.check and self.check.available
                else "check n/a"
            ),
        ]
        return "\n".join(lines)


def _channel_summary(s: ChannelStats) -> dict[str, Any]:
    p50, p95 = percentiles(s.latencies) if s.latencies else (None, None)
    return {
        "served": sum(s.served.values()),
        "refused_as_expected": sum(s.refused.values()),
        "unexpected": len(s.unexpected),
        "lost": len(s.lost),
        "p50_s": p50,
        "p95_s": p95,
        "by_kind": dict(s.served),
        "answers": dict(s.modes),
    }


def _rss_summary(samples: list[RssSample]) -> dict[str, Any]:
    if not samples:
        return {}
    traffic = [s for s in samples if s.at >= 0] or samples
    span = traffic[-1].at
    warm = next((s for s in traffic if s.at >= min(60.0, span * 0.2)), traffic[0])
    by_minute: dict[int, float] = {}
    for s in traffic:
        by_minute[int(s.at // 60)] = max(by_minute.get(int(s.at // 60), 0.0), s.main_mb)
    return {
        "start": samples[0].main_mb,
        "warm": warm.main_mb,
        "max": max(s.main_mb for s in samples),
        "end": samples[-1].main_mb,
        "tree_start": samples[0].tree_mb,
        "tree_max": max(s.tree_mb for s in samples),
        "tree_end": samples[-1].tree_mb,
        "by_minute": [by_minute[k] for k in sorted(by_minute)],
    }


# --- the run ---------------------------------------------------------------------------------


class Soak:
    def __init__(self, options: SoakOptions, work: Path, say):
        self.o = options
        self.work = work
        self.say = say
        self.report = SoakReport(options)
        self.children: list[Child] = []
        self.rng = random.Random(options.seed)
        self.auth = ("soak", secrets.token_urlsafe(12))

    # setup -----------------------------------------------------------------------------------
    def start_services(self) -> None:
        o = self.o
        self.say("starting the Chroma server")
        self.chroma = chroma_server.start(self.work / "chroma")
        self.home = self.work / "home"
        self.env = clean_env(
            ASSISTANT_HOME=str(self.home),
            ASSISTANT_CHROMA_HOST=self.chroma.host,
            ASSISTANT_CHROMA_PORT=str(self.chroma.port),
        )
        self.say("ingesting the sample digest into it (`assistant ingest`)")
        code, out, err = run_assistant(["ingest", "--json"], self.env, self.work, timeout=900)
        if code != 0 or json.loads(out or "{}").get("failed", 1) != 0:
            raise SoakError(f"the first ingest failed (exit {code}): {(err or out)[-2000:]}")
        self.say(f"  {out.strip()[:200]}")

        rates = [f"--{k}={v}" for k, v in o.llm_rates.items()]
        llm, info = start_stand_in("openai_server", ["--flaky", f"--seed={o.seed}", *rates], self.work / "llm.log")
        self.children.append(llm)
        self.llm_url = f"http://127.0.0.1:{info['port']}"
        bot, info = start_stand_in("bot_api", ["--token", TOKEN], self.work / "bot-api.log")
        self.children.append(bot)
        self.bot_url = f"http://127.0.0.1:{info['port']}"

        serve_env = {
            "ASSISTANT_CHROMA_HOST": self.chroma.host,
            "ASSISTANT_CHROMA_PORT": str(self.chroma.port),
            "ASSISTANT_WEB_AUTH": ":".join(self.auth),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "ASSISTANT_TELEGRAM_BASE_URL": info["base_url"],
            "ASSISTANT_TELEGRAM_PUSH_INTERVAL": str(o.push_interval),
            "ASSISTANT_TELEGRAM_RATE_BURST": str(o.rate_burst),
            "ASSISTANT_TELEGRAM_RATE_PER_MINUTE": str(o.rate_per_minute),
            "ASSISTANT_TELEGRAM_EDIT_INTERVAL": "0.5",
            "ASSISTANT_LLM_MODEL": "soak-model",
            "ASSISTANT_LLM_BASE_URL": self.llm_url + "/v1",
            "ASSISTANT_LLM_API_KEY": "sk-soak-" + secrets.token_hex(8),
            "ASSISTANT_LLM_TIMEOUT": "4",
            "ASSISTANT_LLM_RETRIES": "1",
            "ASSISTANT_LLM_COOLDOWN": "5",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
            "ORT_DISABLE_TELEMETRY": "1",
        }
        if o.speech_engine:
            serve_env["ASSISTANT_SPEECH_ENGINE"] = o.speech_engine
        self.say("starting `assistant serve`")
        self.serve_log = self.work / "serve.log"
        self.serve, self.url, seconds = start_web(self.home, self.serve_log, "serve", timeout=300, **serve_env)
        self.say(f"  healthy after {seconds:.1f} s at {self.url}")

    # traffic ---------------------------------------------------------------------------------
    async def traffic(self) -> None:
        o = self.o
        r = self.report
        gold = load_gold("all")
        web = WebClient(self.url, self.auth, r.web, o.reply_timeout)
        api = BotApi(self.bot_url)
        stop_polling = asyncio.Event()
        poller = asyncio.create_task(api.poll(stop_polling))
        try:
            await self._bot_ready(api)
            chats = iter(range(900_001, 999_999))
            subscribers = [TelegramUser(api, r.telegram, next(chats), o.reply_timeout) for _ in range(o.subscribers)]
            for s in subscribers:
                await s.turn("subscribe", "/subscribe")
            sampler = RssSampler(self.serve.pid, time.monotonic())
            sampler.sample()
            start = time.monotonic()
            sampler.started = start
            until = start + o.minutes * 60
            self.say(f"traffic for {o.minutes:g} min")
            stop_sampling = asyncio.Event()
            background = [
                asyncio.create_task(sampler.run(stop_sampling, o.rss_every)),
                asyncio.create_task(self._progress(until, stop_sampling)),
            ]
            probe = TelegramUser(api, r.telegram, next(chats), o.reply_timeout)
            users: list[TelegramUser] = []
            tasks = []
            for i in range(o.web_users):
                tasks.append(web_user(web, gold, random.Random(o.seed * 100 + i), until, o.think_web))
            tasks.append(hostile_web_user(web, random.Random(o.seed + 7), until, (1.0, 4.0), 70_000))
            for i in range(o.telegram_users):
                users.append(TelegramUser(api, r.telegram, next(chats), o.reply_timeout))
                tasks.append(telegram_user(users[-1], gold, random.Random(o.seed * 200 + i), until, o.think_telegram))
            users.append(TelegramUser(api, r.telegram, next(chats), o.reply_timeout))
            tasks.append(telegram_browser(users[-1], random.Random(o.seed + 3), until, o.think_telegram, SAMPLE_WEEKS))
            users.append(TelegramUser(api, r.telegram, next(chats), o.reply_timeout))
            tasks.append(hostile_telegram_user(users[-1], random.Random(o.seed + 5), until, o.think_telegram))
            flooder = TelegramUser(api, r.telegram, next(chats), o.reply_timeout)
            tasks.append(self._reingest(web, probe, until))
            if o.flood_every > 0:
                tasks.append(self._floods(flooder, until))
            if o.fault_every > 0:
                tasks.append(self._faults(api, until))
            await asyncio.gather(*tasks)
            self.say("traffic over; waiting for the last pushes")
            await self._await_pushes(api, subscribers)
            stop_sampling.set()
            await asyncio.gather(*background)
            r.rss = sampler.samples
            r.minutes_run = (time.monotonic() - start) / 60
            r.telegram_questions = sum(u.questions for u in [*subscribers, probe, *users, flooder])
        finally:
            stop_polling.set()
            await poller
            await web.close()
            await api.close()

    async def _bot_ready(self, api: BotApi) -> None:
        deadline = time.monotonic() + 120
        while not any(c["method"] == "setMyCommands" for c in api.calls):
            if time.monotonic() > deadline:
                raise SoakError("the Telegram bot of `assistant serve` did not start: " + _tail(self.serve_log))
            await asyncio.sleep(0.2)

    async def _progress(self, until: float, stop: asyncio.Event) -> None:
        r = self.report
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 60)
                return
            except TimeoutError:
                pass
            left = max(0.0, until - time.monotonic())
            self.say(
                f"  {left / 60:4.1f} min left: web {sum(r.web.served.values())} served, "
                f"telegram {sum(r.telegram.served.values())} served, "
                f"{len(r.unexpected)} unexpected, {len(r.telegram.lost)} lost, ingests {r.ingest.ok}/{r.ingest.cycles}"
            )

    async def _reingest(self, web: WebClient, probe: TelegramUser, until: float) -> None:
        """Every cycle: change the records, ingest them from another process, and wait until the
        serving process sees the change, on the web and in Telegram."""
        feed = RecordFeed(self.work / "records")
        g = self.report.ingest
        if not self.o.ingest_during_warm_up:
            # serve's audio warm-up reads the newest issue's articles once and then speaks them for
            # minutes; an article withdrawn meanwhile aborts it with an ERROR (docs/results.md, Soak).
            deadline = time.monotonic() + self.o.warm_up_wait
            while self._warm_up_state() is None and time.monotonic() < min(deadline, until):
                await asyncio.sleep(1)
        next_at = time.monotonic() + min(20.0, self.o.reingest_every / 2)
        g.first_at = next_at - (until - self.o.minutes * 60)
        while True:
            await _sleep_until(min(next_at, until) if g.cycles else next_at)
            if time.monotonic() >= until and g.cycles > 0:
                return
            next_at = time.monotonic() + self.o.reingest_every
            expect = feed.advance()
            g.cycles += 1
            started = time.monotonic()
            code, out, err = await arun_assistant(["ingest", str(feed.folder), "--json"], self.env, self.work)
            g.seconds.append(time.monotonic() - started)
            try:
                result = json.loads(out)
            except ValueError:
                result = {}
            if code != 0 or result.get("failed", 1) != 0:
                g.unexpected.append(f"ingest cycle {expect.cycle}: exit {code}: {(err or out)[-400:]!r}")
                continue
            g.added += result.get("added", 0)
            g.updated += result.get("updated", 0)
            g.removed += result.get("removed", 0)
            lag = await self._visible(web, expect)
            if lag is None:
                continue
            g.visible_after.append(lag)
            g.newest_week = expect.week
            reply = await probe.turn("week (new issue)", f"/week {expect.week}", "listing")
            if reply is not None and not all(t in reply["text"] for t in expect.titles.values()):
                g.unexpected.append(f"/week {expect.week} in Telegram misses the new articles: {reply['text'][:300]!r}")
            if reply is not None:
                g.ok += 1

    async def _visible(self, web: WebClient, expect: Expectation) -> float | None:
        """Seconds until a search in the serving process finds every new or edited record by its
        word and none of the withdrawn ones; None (an error) if not within ``visible_within``."""
        started = time.monotonic()
        missing: list[str] = []
        while time.monotonic() - started < self.o.visible_within:
            missing = []
            for article_id, word in [*expect.present.items(), *expect.gone.items()]:
                try:
                    r = await web.http.get("/api/search", params={"q": word, "top_k": 5})
                    ids = [h["article_id"] for h in r.json()["hits"]]
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    missing.append(f"{article_id}: search failed ({type(exc).__name__})")
                    continue
                if (article_id in expect.present) != (article_id in ids):
                    missing.append(article_id)
            if not missing:
                return time.monotonic() - started
            await asyncio.sleep(0.5)
        self.report.ingest.unexpected.append(
            f"ingest cycle {expect.cycle}: the serving process still shows a stale index after "
            f"{self.o.visible_within:.0f} s: {missing}"
        )
        return None

    async def _floods(self, flooder: TelegramUser, until: float) -> None:
        await asyncio.sleep(min(30.0, self.o.flood_every / 3))
        while time.monotonic() < until:
            self.report.floods.append(
                await flood(flooder, self.o.rate_burst + 4, self.o.rate_burst, self.o.reply_timeout)
            )
            await _sleep_until(min(time.monotonic() + self.o.flood_every, until))

    async def _faults(self, api: BotApi, until: float) -> None:
        """Now and then one Bot API request fails: a 5xx, a 429 with retry_after, a dropped
        connection. The bot retries each; no answer may be lost to them."""
        kinds: list[tuple[str, str, dict[str, Any]]] = [
            ("sendMessage 500", "sendMessage", {"status": 500}),
            ("sendMessage 429", "sendMessage", {"status": 429, "retry_after": 1}),
            ("getUpdates dropped", "getUpdates", {"drop": True, "status": 0}),
            ("editMessageText 502", "editMessageText", {"status": 502}),
            ("sendMessage dropped", "sendMessage", {"drop": True, "status": 0}),
            ("sendVoice 503", "sendVoice", {"status": 503}),
        ]
        i = 0
        while True:
            await _sleep_until(min(time.monotonic() + self.o.fault_every, until))
            if time.monotonic() >= until:
                return
            name, method, how = kinds[i % len(kinds)]
            await api.fail(method, **how)
            self.report.faults_injected[name] += 1
            i += 1

    async def _await_pushes(self, api: BotApi, subscribers: list[TelegramUser]) -> None:
        """Every subscriber gets the newest ingested issue (the push runs every push_interval)."""
        week = self.report.ingest.newest_week
        deadline = time.monotonic() + self.o.push_interval * 3 + 120
        while True:
            await api.fetch()
            pushed = {s.chat_id: _pushed_weeks(api, s.chat_id) for s in subscribers}
            if week is None or all(week in w for w in pushed.values()) or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        self.report.pushes = pushed
        for chat, weeks in pushed.items():
            if week is not None and week not in weeks:
                self.report.push_missing.append(f"subscriber {chat} never got week {week} (got {sorted(weeks)})")

    # shutdown --------------------------------------------------------------------------------
    def finish(self) -> None:
        r = self.report
        try:
            r.llm = httpx.get(self.llm_url + "/_stats", timeout=10).json()
        except (httpx.HTTPError, ValueError):
            r.llm = {}
        r.load_avg = load_avg()
        # The web channel's audio warm-up (every issue's episode) runs in a worker thread that a
        # stop cannot interrupt, and speech after the Assistant is closed blocks for good (see
        # docs/results.md, "Soak"): let it finish, so the stop measured is the product's own.
        r.warm_up = self._await_warm_up(self.o.warm_up_wait)
        started = time.monotonic()
        self.serve.terminate()
        try:
            code = self.serve.wait(60)
            r.serve_exit = f"serve stopped with exit {code} in {time.monotonic() - started:.1f} s"
            r.serve_unclean = code not in (0, -15)
        except Exception:
            stop_web(self.serve)
            r.serve_exit = "serve did not stop within 60 s of SIGTERM and was killed"
            r.serve_unclean = True
        r.serve_log_errors, r.serve_log_expected = _log_errors(self.serve_log, r.faults_injected)
        self.say("running the integrity check")
        r.check = integrity_check(self.env, self.work)

    def _warm_up_state(self) -> str | None:
        """How serve's audio warm-up ended, from its log; None while it runs."""
        text = _tail(self.serve_log, None)
        if WARM_DONE in text:
            return "audio warm-up done"
        if WARM_FAILED in text:
            return "audio warm-up failed (see the serve log)"
        return None

    def _await_warm_up(self, wait: float) -> str:
        deadline = time.monotonic() + wait
        while (state := self._warm_up_state()) is None and time.monotonic() < deadline:
            time.sleep(1)
        return state or f"audio warm-up still running after a further {wait:.0f} s"

    def close(self) -> None:
        if getattr(self, "serve", None) is not None and self.serve.poll() is None:
            stop_web(self.serve)
        for child in reversed(self.children):
            child.stop()
        if getattr(self, "chroma", None) is not None:
            self.chroma.stop()


async def _sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


def _pushed_weeks(api: BotApi, chat_id: int) -> set[int]:
    weeks = set()
    for call in api.sent(chat_id):
        if PUSH_HEADING in call["text"]:
            found = re.search(r"Week (\d+)", call["text"])
            if found:
                weeks.add(int(found.group(1)))
    return weeks


_RECORD = re.compile(r"^(?:\d{4}-\d\d-\d\d [\d:,]+ (\w+) |(DEBUG|INFO|WARNING|ERROR|CRITICAL):\s)")
# ERROR records that follow from a fault the soak injects on purpose, with the fault behind each.
EXPECTED_LOG_ERRORS = {
    "telegram.ext.Updater: Exception happened while polling for updates": "getUpdates dropped",
}


def _log_errors(log: Path, injected: Counter) -> tuple[list[str], list[str]]:
    """The serve log's ERROR records and stray tracebacks: (unexpected, expected). An ERROR that
    follows from an injected fault is expected, at most once per fault of its kind."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return [f"serve log {log} unreadable"], []
    allowance = Counter({text: injected[fault] for text, fault in EXPECTED_LOG_ERRORS.items()})
    unexpected: list[str] = []
    expected: list[str] = []
    in_error = in_traceback = False
    for line in lines:
        record = _RECORD.match(line)
        if record:
            in_traceback = False
            in_error = (record.group(1) or record.group(2)) in ("ERROR", "CRITICAL")
            if in_error:
                known = next((text for text in allowance if text in line), None)
                if known is not None and allowance[known] > 0:
                    allowance[known] -= 1
                    expected.append(line[:300])
                else:
                    unexpected.append("serve log: " + line[:300])
        elif line.startswith("Traceback") and not in_error:
            in_traceback = True
        elif in_traceback and line and not line[0].isspace() and not line.startswith(("The above", "During handling")):
            unexpected.append("serve log, a traceback outside any ERROR record: " + line[:300])
            in_traceback = False
    return unexpected, expected


def _tail(log: Path, chars: int | None = 3000) -> str:
    try:
        text = log.read_text(errors="replace")
        return text[-chars:] if chars else text
    except OSError:
        return ""


def run(options: SoakOptions, say=print) -> SoakReport:
    work = options.workdir or Path(tempfile.mkdtemp(prefix="soak-"))
    work.mkdir(parents=True, exist_ok=True)
    soak = Soak(options, work, say)
    try:
        soak.start_services()
        asyncio.run(soak.traffic())
        soak.finish()
    finally:
        soak.close()
        if options.workdir is None and soak.report.passed:
            shutil.rmtree(work, ignore_errors=True)
        elif options.workdir is None:
            say(f"logs kept in {work}")
    return soak.report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the traffic runs (default 10)")
    parser.add_argument("--web-users", type=int, default=4)
    parser.add_argument("--telegram-users", type=int, default=4)
    parser.add_argument("--reingest-every", type=float, default=60.0, help="seconds between ingests (default 60)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--speech-engine", default=None, help="ASSISTANT_SPEECH_ENGINE for serve (default: the product's)"
    )
    parser.add_argument(
        "--ingest-during-warm-up",
        action="store_true",
        help="start ingesting before serve's audio warm-up is done (it races a withdrawn article: see docs/results.md)",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keep the logs and data here")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    options = SoakOptions(
        minutes=args.minutes,
        web_users=args.web_users,
        telegram_users=args.telegram_users,
        reingest_every=args.reingest_every,
        seed=args.seed,
        speech_engine=args.speech_engine,
        workdir=args.workdir,
        ingest_during_warm_up=args.ingest_during_warm_up,
    )
    try:
        report = run(options, lambda line: print(time.strftime("%H:%M:%S"), line, file=sys.stderr, flush=True))
    except SoakError as exc:
        print(f"soak: {exc}", file=sys.stderr)
        return 2
    print(report.text())
    if args.json:
        args.json.write_text(json.dumps(report.summary(), indent=2, default=str), encoding="utf-8")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
