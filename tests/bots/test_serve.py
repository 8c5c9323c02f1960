"""`assistant serve`: the web chat and the Telegram bot in one process over one index."""

from __future__ import annotations

import httpx

from assistant import Assistant
from index import ingest
from tests.bots.conftest import start_web, stop
from tests.bots.test_telegram_bot import FILES, SAMPLE, TOKEN
from tests.conftest import SEED_QUESTION, make_settings
from tests.fakes.bot_api import BotApiServer


def test_serve_runs_web_and_bot_in_one_process(tmp_path):
    home = tmp_path / "data"
    with Assistant(make_settings(home)) as a:
        assert ingest(a, [str(SAMPLE / name) for name in FILES]).failed == 0
    with BotApiServer(TOKEN) as api:
        proc, url = start_web(
            home, tmp_path / "serve.log", "serve", TELEGRAM_BOT_TOKEN=TOKEN, ASSISTANT_TELEGRAM_BASE_URL=api.base_url
        )
        try:
            assert httpx.get(url + "/healthz").json()["articles"] > 0
            api.wait_for(lambda: api.calls("setMyCommands"), timeout=60, what="setMyCommands")
            chat = 5150
            api.message(chat, SEED_QUESTION)
            reply = api.wait_sent(chat, timeout=60)[-1]
            assert "Week 373" in reply.text
            # Both channels answer from the same process, sharing the one embedded index.
            web = httpx.post(url + "/api/ask", json={"question": SEED_QUESTION}, timeout=60).json()
            assert web["citations"][0]["week"] == 373
        finally:
            stop(proc)
        log = (tmp_path / "serve.log").read_text()
        assert TOKEN not in log and TOKEN.split(":")[1] not in log
        assert "Telegram bot started" in log


def test_sigterm_during_the_audio_warm_up_stops_the_server(tmp_path):
    """The warm-up speaks for minutes on a cold cache; a SIGTERM then must still end the process
    (it used to wait forever for a speech call the shutdown had orphaned)."""
    import subprocess
    import time

    home = tmp_path / "data"
    with Assistant(make_settings(home)) as a:
        assert ingest(a, [str(SAMPLE / name) for name in FILES]).failed == 0
    proc, url = start_web(home, tmp_path / "web.log", "web")
    try:
        deadline = time.monotonic() + 120
        while not list((home / "audio").glob("*.mp3")) and time.monotonic() < deadline:
            time.sleep(0.5)  # the warm-up is speaking (its first episode is in the cache)
        proc.terminate()
        code = proc.wait(90)  # a generous bound for a loaded machine; the bug was "never"
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the server did not stop within 90 s of SIGTERM") from None
    assert code == 0, (tmp_path / "web.log").read_text()[-2000:]
    assert "Traceback" not in (tmp_path / "web.log").read_text()
