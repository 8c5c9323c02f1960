"""Web benchmark: a real `assistant web` on 127.0.0.1 over the sample digest.

- cold start: process start to a healthy /healthz, median of 3;
- in the browser (headless Chromium): time from clicking Ask to the first streamed text and to
  the source cards (the complete answer), median over the example questions, extractive default;
- 20 concurrent API users, each asking 10 questions through POST /api/ask: p50/p95, errors.

Numbers are reported, not asserted.    python -m evals.web_bench --out evals/results/web.md
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from assistant.chroma_server import free_port
from evals.bench_support import percentiles
from index import ingest

QUESTIONS = [
    "What do leaders do that impedes mastery?",
    "Did removing degree requirements from job ads change who got hired?",
    "How are tariffs changing manufacturing?",
    "What happens when junior staff get an AI assistant?",
    "Why are loyalty programs turning into banks?",
    "How much electricity could data centres use by 2030?",
]
QUIET = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def start(
    home: Path, log: Path, command: str = "web", timeout: float = 120.0, **env_overrides: str
) -> tuple[subprocess.Popen, str, float]:
    """`assistant <command>` on a free port over ``home``: (process, base URL, seconds to healthy)."""
    import os

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "TELEGRAM_"))}
    env.update({"ASSISTANT_HOME": str(home), "ASSISTANT_WEB_PORT": str(port), **env_overrides})
    started = time.perf_counter()
    proc = subprocess.Popen(
        [shutil.which("assistant"), command], stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, cwd=home.parent
    )
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url, time.perf_counter() - started
        except httpx.HTTPError:
            if proc.poll() is not None or time.perf_counter() - started > timeout:
                stop(proc)
                raise RuntimeError(f"assistant {command} did not become healthy: " + log.read_text()[-3000:]) from None
            time.sleep(0.05)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def browser_timings(url: str) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    first, complete = [], []
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=QUIET)
        page = browser.new_page()
        page.goto(url + "/", wait_until="load")
        page.wait_for_selector("#question textarea", timeout=60_000)
        for question in QUESTIONS * 2:
            page.locator("#new-chat").click()
            page.wait_for_timeout(300)
            page.locator("#question textarea").fill(question)
            # Timestamps taken in the page: the click, the first assistant text, the source cards.
            result = page.evaluate(
                """() => new Promise((resolve) => {
                    const t0 = performance.now(); let first = null;
                    const chat = document.querySelector('#chat');
                    const seen = () => {
                      const bot = chat.querySelectorAll('.message.bot, .bot .message, [data-testid="bot"]');
                      const last = bot[bot.length - 1];
                      if (first === null && last && last.innerText.trim().length > 0) first = performance.now() - t0;
                      const cards = document.querySelector('#sources .card, #sources h3');
                      if (first !== null && cards) { obs.disconnect(); resolve([first, performance.now() - t0]); }
                    };
                    const obs = new MutationObserver(seen);
                    obs.observe(document.body, {subtree: true, childList: true, characterData: true});
                    document.querySelector('#ask').click();
                    setTimeout(() => resolve([first, null]), 30000);
                })"""
            )
            if result[0] is not None:
                first.append(result[0] / 1000)
            if result[1] is not None:
                complete.append(result[1] / 1000)
        browser.close()
    return first, complete


async def _load(url: str, users: int, per_user: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0

    async def user(n: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            for i in range(per_user):
                question = QUESTIONS[(n + i) % len(QUESTIONS)]
                started = time.perf_counter()
                r = await client.post("/api/ask", json={"question": question})
                latencies.append(time.perf_counter() - started)
                if r.status_code != 200 or not r.json().get("citations"):
                    errors += 1

    await asyncio.gather(*(user(n) for n in range(users)))
    return latencies, errors


def run(say=print) -> str:
    from assistant import Assistant, Settings

    work = Path(tempfile.mkdtemp(prefix="web-bench-"))
    try:
        home = work / "data"
        with Assistant(Settings(_env_file=None, home=home)) as a:
            ingest(a)
        colds = []
        for _ in range(3):
            proc, url, seconds = start(home, work / "web.log")
            colds.append(seconds)
            stop(proc)
        say(f"cold start: {colds}")
        proc, url, _ = start(home, work / "web.log")
        try:
            httpx.post(url + "/api/ask", json={"question": QUESTIONS[0]}, timeout=120)  # warm the models
            first, complete = browser_timings(url)
            say(f"browser: first {first} complete {complete}")
            latencies, errors = asyncio.run(_load(url, users=20, per_user=10))
        finally:
            stop(proc)
        lines = [
            "# Web benchmark",
            "",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; `python -m evals.web_bench`",
            "- Server: `assistant web` on 127.0.0.1 over the bundled sample digest (58 articles), extractive answers",
            "",
            "| measure | p50 | p95 | target |",
            "|---|---|---|---|",
            f"| cold start of `assistant web` to healthy (s, 3 runs) | {statistics.median(colds):.2f} | {max(colds):.2f} | ≤ 8 s |",
            f"| browser: click to first streamed text (ms, {len(first)} questions) | {1000 * statistics.median(first):.0f} | "
            f"{1000 * percentiles(first)[1]:.0f} | ≤ 300 ms |",
            f"| browser: click to complete answer with source cards (ms) | {1000 * statistics.median(complete):.0f} | "
            f"{1000 * percentiles(complete)[1]:.0f} | ≤ 1,000 ms |",
            f"| 20 concurrent API users × 10 questions: /api/ask latency (ms) | {1000 * statistics.median(latencies):.0f} | "
            f"{1000 * percentiles(latencies)[1]:.0f} | no errors: {errors} errors of {len(latencies)} |",
        ]
        return "\n".join(lines) + "\n"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.web_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    report = run(lambda line: print(line, file=sys.stderr, flush=True))
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
