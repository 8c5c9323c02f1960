"""`assistant serve --workers N`: web workers behind one port over one Chroma server.

Real processes and real HTTP: browser sessions (each its own cookie jar) stay on one worker and
get their answers and follow-ups; JSON API users spread over the workers; the audio cache is
shared across processes; SIGTERM leaves no process behind."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from assistant import Assistant
from assistant.errors import IndexInUse
from assistant.models import AudioClip
from assistant.speech.cache import AudioCache
from bots.web.front import COOKIE, Front, is_stateless, pinned_worker
from evals.web_bench import QUESTIONS, QUIET
from index import ingest
from tests.bots.conftest import start_web
from tests.conftest import SEED_QUESTION, make_settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_front_pins_browser_sessions_and_spreads_stateless_requests():
    front = Front(["http://127.0.0.1:1", "http://127.0.0.1:2"], max_body=1024)
    try:
        first, pin = front.choose("/", [])
        second, pin_again = front.choose("/", [(b"accept", b"text/html")])
        assert pin and pin_again and {first, second} == {0, 1}  # new browsers alternate
        cookie = [(b"cookie", f"theme=dark; {COOKIE}=1".encode())]
        assert front.choose("/gradio_api/queue/join", cookie) == (1, False)
        assert front.choose("/gradio_api/queue/data", cookie) == (1, False)
        front.in_flight[:] = [3, 0]
        assert front.choose("/api/ask", [(b"cookie", f"{COOKIE}=0".encode())]) == (1, False)  # no state: least busy
        assert pinned_worker([(b"cookie", f"{COOKIE}=7".encode())], 2) is None  # from a run with more workers
        assert is_stateless("/healthz") and is_stateless("/listen/week/373.mp3") and not is_stateless("/config")
    finally:
        asyncio.run(front.aclose())


def _make_once(folder: str, barrier, log: str) -> str:
    cache = AudioCache(Path(folder), max_bytes=10_000_000)
    barrier.wait()

    def make(path: Path) -> AudioClip:
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        path.write_bytes(b"ID3" + b"\0" * 5000)
        import time

        time.sleep(0.5)  # long enough that the other process asks while this one makes it
        return AudioClip(path=str(path), format="mp3", duration=1.0, sample_rate=22050, engine="test", voice="v")

    return cache.get_or_create("ab" + "0" * 38, "mp3", make).model_dump_json()


def test_processes_sharing_the_audio_cache_make_a_clip_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(3)
    log = tmp_path / "made.log"
    with ctx.Pool(3) as pool:
        results = pool.starmap(_make_once, [(str(tmp_path / "audio"), barrier, str(log))] * 3)
    assert len(log.read_text().split()) == 1  # one process made it, the others found it made
    clips = [AudioClip.model_validate_json(r) for r in results]
    assert len({c.path for c in clips}) == 1 and sum(c.cached for c in clips) == 2
    assert sorted(p.name for p in (tmp_path / "audio").iterdir()) == [
        ".locks",
        f"ab{'0' * 38}.json",
        f"ab{'0' * 38}.mp3",
    ]


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    """`assistant serve --workers 2` over the sample, and what one process answers to each question."""
    folder = tmp_path_factory.mktemp("workers")
    home = folder / "data"
    with Assistant(make_settings(home)) as a:
        assert ingest(a).failed == 0
        expected = {q: [c.article_id for c in a.ask(q).citations] for q in QUESTIONS}
    log = folder / "serve.log"
    proc, url = start_web(home, log, "serve --workers 2", ASSISTANT_WEB_WARM_AUDIO="false")
    yield proc, url, home, log, expected
    if proc.poll() is None:  # a test failed before the SIGTERM test
        proc.terminate()
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_api_users_spread_over_two_workers_and_each_gets_its_answer(two_workers):
    proc, url, _home, log, expected = two_workers

    async def users() -> list[tuple[str, dict]]:
        async with httpx.AsyncClient(base_url=url, timeout=300) as client:

            async def one(question: str) -> tuple[str, dict]:
                r = await client.post("/api/ask", json={"question": question})
                assert r.status_code == 200, r.text
                return question, r.json()

            return await asyncio.gather(*(one(q) for q in QUESTIONS * 3))

    for question, answer in asyncio.run(users()):
        assert [c["article_id"] for c in answer["citations"]] == expected[question], question
    served = log.read_text()
    assert "worker-0 uvicorn.access" in served and "worker-1 uvicorn.access" in served
    assert served.count('"POST /api/ask HTTP/1.1" 200') == len(QUESTIONS) * 3


def test_the_index_folder_is_the_servers_while_workers_run(two_workers):
    _proc, _url, home, _log, _expected = two_workers
    with pytest.raises(IndexInUse, match=r"--workers 2.*Chroma server is on 127\.0\.0\.1:\d+"):
        Assistant(make_settings(home)).issues()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is missing: scripts/install.sh test installs it")
def test_browser_sessions_stay_on_their_worker_through_follow_ups(two_workers):
    from playwright.sync_api import sync_playwright

    _proc, url, _home, log, expected = two_workers
    questions = [SEED_QUESTION, QUESTIONS[2], QUESTIONS[4], QUESTIONS[5]]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=QUIET)
        try:
            contexts = [browser.new_context() for _ in questions]  # four browsers: four cookie jars
            pages = [c.new_page() for c in contexts]
            for page in pages:
                page.goto(url + "/", wait_until="load")
                page.wait_for_selector("#question textarea", timeout=120_000)
            for page, question in zip(pages, questions):  # all four asked before any is read
                page.locator("#question textarea").fill(question)
                page.locator("#ask").click()
            for page, question in zip(pages, questions):
                page.wait_for_selector("#sources .card", timeout=120_000)
                cards = page.locator("#sources .card")
                assert cards.first.get_attribute("data-article") == expected[question][0], question
            # A follow-up about the previous answer reads the session's state: on another worker
            # it would not know which answer is meant.
            for page in pages:
                page.locator("#question textarea").fill("Which week was that?")
                page.locator("#ask").click()
            for page in pages:
                page.wait_for_function("() => document.querySelectorAll('#chat .message').length >= 4", timeout=120_000)
                page.wait_for_function(
                    "() => /Week \\d+/.test([...document.querySelectorAll('#chat .message')].pop().innerText)",
                    timeout=120_000,
                )
            pinned = {c.cookies()[0]["value"] for c in contexts if c.cookies()}
            assert pinned == {"0", "1"}  # the four sessions went to both workers
            assert "Week 373" in pages[0].locator("#chat .message").last.inner_text()  # the seed article's
        finally:
            browser.close()
    assert "Traceback" not in log.read_text()


def test_sigterm_stops_the_front_the_workers_and_the_chroma_server(two_workers):
    proc, url, _home, log, _expected = two_workers
    children = _descendants(proc.pid)
    names = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ") for pid in children}
    assert sum(b"bots.workers" in n for n in names.values()) == 2, names
    assert sum(b"chroma" in n and b" run " in n for n in names.values()) == 1, names
    proc.terminate()
    try:
        code = proc.wait(120)  # generous on a loaded machine
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("serve --workers did not stop within 120 s of SIGTERM") from None
    assert code == 0, log.read_text()[-3000:]
    assert [pid for pid in children if _alive(pid)] == []
    with pytest.raises(httpx.HTTPError):
        httpx.get(url + "/healthz", timeout=2)
    assert "Traceback" not in log.read_text()


def test_serve_with_two_workers_polls_telegram_once(tmp_path):
    from tests.bots.test_telegram_bot import FILES, SAMPLE, TOKEN
    from tests.fakes.bot_api import BotApiServer

    home = tmp_path / "data"
    with Assistant(make_settings(home)) as a:
        assert ingest(a, [str(SAMPLE / name) for name in FILES]).failed == 0
    log = tmp_path / "serve.log"
    with BotApiServer(TOKEN) as api:
        proc, url = start_web(
            home,
            log,
            "serve --workers 2",
            TELEGRAM_BOT_TOKEN=TOKEN,
            ASSISTANT_TELEGRAM_BASE_URL=api.base_url,
            ASSISTANT_WEB_WARM_AUDIO="false",
        )
        try:
            api.message(5150, SEED_QUESTION)
            assert "Week 373" in api.wait_sent(5150, timeout=120)[-1].text
            web = httpx.post(url + "/api/ask", json={"question": SEED_QUESTION}, timeout=120).json()
            assert web["citations"][0]["week"] == 373
        finally:
            proc.terminate()
            proc.wait(120)
        assert len(api.calls("getMe")) == 1 and len(api.calls("setMyCommands")) == 1  # one bot, not one per worker
    text = log.read_text()
    assert text.count("Telegram bot started") == 1 and "worker-0 bots.telegram" in text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text


def test_killing_the_parent_takes_the_workers_and_the_chroma_server_with_it(tmp_path):
    """SIGKILL gives the parent no chance to stop anything: the children must go on their own,
    or a stale server would keep the index folder (and a worker the port)."""
    import time

    home = tmp_path / "data"
    with Assistant(make_settings(home)) as a:
        a.issues()  # an empty index is enough: the workers start over it
    proc, _url = start_web(home, tmp_path / "web.log", "web --workers 2", ASSISTANT_WEB_WARM_AUDIO="false")
    children = _descendants(proc.pid)
    assert len(children) >= 3  # 2 workers and the Chroma server
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 120
    while [pid for pid in children if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [pid for pid in children if _alive(pid)] == []
    with Assistant(make_settings(home)) as a:  # the folder is free again
        a.issues()
