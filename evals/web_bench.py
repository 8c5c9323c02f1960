"""Web benchmark: a real `assistant web` on 127.0.0.1 over the sample digest.

- cold start: process start to a healthy /healthz, median of 3;
- in the browser (headless Chromium): time from clicking Ask to the first streamed text and to
  the source cards (the complete answer), median over the example questions, extractive default;
- load: 20 and 50 concurrent API users, each asking 10 gold questions through POST /api/ask,
  against `assistant web` with 1 and with 2 worker processes (`--workers 2`), in rounds that
  alternate the two (1, 2, then 2, 1: the machine's load falls on both): throughput, p50/p95,
  errors, and where the CPU went (the front, the workers, the Chroma server) read from /proc.

Numbers are reported, not asserted.    python -m evals.web_bench --out evals/results/web.md
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from assistant.chroma_server import free_port
from evals.bench_support import load_avg, percentiles
from index import ingest

CHECKOUT = Path(__file__).resolve().parents[1]  # the folder holding assistant/, bots/, evals/

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
    """`assistant <command>` (words split on spaces: "serve --workers 2") on a free port over
    ``home``: (process, base URL, seconds to healthy). It runs this checkout's code (as
    ``python -m bots.cli``, this checkout first on PYTHONPATH), whatever `assistant` is installed."""
    import os

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "TELEGRAM_"))}
    env.update({"ASSISTANT_HOME": str(home), "ASSISTANT_WEB_PORT": str(port), **env_overrides})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bots.cli", *command.split()],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env=env,
        cwd=home.parent,
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


@dataclass
class Load:
    """One load run: every answer's latency, the errors, the wall time, the gold hits, CPU by role."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0
    cited_gold: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # what the first errors were


def gold_questions() -> list[tuple[str, set[str]]]:
    """The gold questions that have an answer, with the articles that hold it."""
    import json

    rows = [json.loads(line) for line in (Path(__file__).parent / "gold.jsonl").read_text().splitlines() if line]
    return [(r["question"], set(r["expected"])) for r in rows if r["expected"]]


async def _load(url: str, users: int, per_user: int, questions: list[tuple[str, set[str]]] | None = None) -> Load:
    """``users`` concurrent users, each asking ``per_user`` questions one after another. An error is
    anything but a 200 with an answer; ``questions`` default to QUESTIONS (every answer cited)."""
    asked = questions or [(q, set()) for q in QUESTIONS]
    result = Load()

    async def user(n: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=300) as client:
            for i in range(per_user):
                question, gold = asked[(n * per_user + i) % len(asked)]
                started = time.perf_counter()
                failure = ""
                try:
                    r = await client.post("/api/ask", json={"question": question})
                    body = r.json() if r.status_code == 200 else {}
                    if r.status_code != 200:
                        failure = f"HTTP {r.status_code}: {r.text[:200]}"
                except (httpx.HTTPError, ValueError) as exc:
                    body, failure = {}, f"{type(exc).__name__}: {exc}"
                result.latencies.append(time.perf_counter() - started)
                cited = {c["article_id"] for c in body.get("citations", [])}
                if not body.get("answer") or (questions is None and not cited):
                    result.errors += 1
                    if len(result.failures) < 5:
                        result.failures.append(failure or f"no answer to {question!r}: {str(body)[:200]}")
                result.cited_gold += bool(cited & gold)

    started = time.perf_counter()
    await asyncio.gather(*(user(n) for n in range(users)))
    result.wall = time.perf_counter() - started
    return result


def _tree(pid: int) -> dict[int, str]:
    """``pid`` and its descendants, each with its role: chroma (the Chroma server), worker (a web
    worker of --workers), speech (a pyttsx3 process), server (the process started: with one
    worker it is the whole web app, with more the front)."""
    found, todo = {pid: "server"}, [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            for child in children:
                try:
                    cmd = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                role = (
                    "chroma"
                    if "chroma run" in cmd
                    else "worker"
                    if "bots.workers" in cmd
                    else "speech"
                    if "pyttsx3" in cmd
                    else "other"
                )
                found[child] = role
                todo.append(child)
    return found


def _cpu_seconds(pids: dict[int, str]) -> dict[str, float]:
    """User + system CPU seconds so far, summed by role."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for pid, role in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[role] = out.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _rss_mb(pids: dict[int, str]) -> dict[str, float]:
    """Resident memory now, MB, the largest process of each role."""
    out: dict[str, float] = {}
    for pid, role in pids.items():
        try:
            kb = next(
                int(line.split()[1])
                for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("VmRSS:")
            )
        except (OSError, StopIteration):
            continue
        out[role] = max(out.get(role, 0.0), kb / 1024)
    return out


def measure_load(url: str, proc: subprocess.Popen, users: int, per_user: int) -> Load:
    pids = _tree(proc.pid)
    before = _cpu_seconds(pids)
    result = asyncio.run(_load(url, users, per_user, gold_questions()))
    after = _cpu_seconds(pids)
    result.cpu = {role: after[role] - before.get(role, 0.0) for role in after}
    return result


def core_ask_ms(home: Path) -> dict[str, float]:
    """CPU ms of one Assistant.ask in this process (no HTTP in front, no Gradio), over the embedded
    index and over a Chroma server on the same folder: the core's own cost of an answer, first
    sight of every gold question (fresh) and a second pass (warm: query and sentence vectors cached).
    Keys: "<embedded|server> <fresh|warm>", and "... chroma" for the server's own CPU."""
    from assistant import Assistant, Settings
    from assistant.chroma_server import start as start_chroma

    questions = [q for q, _ in gold_questions()]
    out: dict[str, float] = {}
    for where in ("embedded", "server"):
        chroma = start_chroma(home / "bench-chroma", data=home / "chroma") if where == "server" else None
        extra = {"chroma_host": chroma.host, "chroma_port": chroma.port} if chroma else {}
        try:
            with Assistant(Settings(_env_file=None, home=home, **extra)) as a:
                a.ask("warm the models")
                for regime in ("fresh", "warm"):
                    pids = {chroma.process.pid: "chroma"} if chroma else {}
                    before, started = _cpu_seconds(pids), time.process_time()
                    for q in questions:
                        a.ask(q)
                    out[f"{where} {regime}"] = 1000 * (time.process_time() - started) / len(questions)
                    if chroma:
                        out[f"{where} {regime} chroma"] = (
                            1000 * (_cpu_seconds(pids)["chroma"] - before["chroma"]) / len(questions)
                        )
        finally:
            if chroma:
                chroma.stop()
    return out


def _worker_urls(log: Path, url: str, workers: int) -> list[str]:
    """Each worker's own address (from its "Uvicorn running on" line), to warm every one of them."""
    import re

    if workers == 1:
        return [url]
    found = dict(re.findall(r"worker-(\d+) uvicorn\.error: Uvicorn running on (http://\S+)", log.read_text()))
    return [found[str(k)] for k in range(workers)]


async def _ask_all(url: str, questions: list[str], concurrency: int = 4) -> None:
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:

        async def one(q: str) -> None:
            async with gate:
                await client.post("/api/ask", json={"question": q})

        await asyncio.gather(*(one(q) for q in questions))


REGIMES = ("fresh", "warm")


def load_matrix(home: Path, work: Path, rounds: int, users: tuple[int, ...], per_user: int, say=print):
    """{(regime, workers, users): [Load per round]}, and the start time and memory of each setup.
    Per server: "fresh" 20 users right after start (every worker meets the questions for the
    first time), then every worker answers every gold question, then "warm" for each of ``users``."""
    runs: dict[tuple[str, int, int], list[Load]] = {}
    starts: dict[int, list[float]] = {1: [], 2: []}
    memory: dict[int, dict[str, float]] = {}
    questions = [q for q, _ in gold_questions()]
    for r in range(rounds):
        for workers in (1, 2) if r % 2 == 0 else (2, 1):
            command = "web" if workers == 1 else f"web --workers {workers}"
            log = work / f"load-{workers}.log"
            proc, url, seconds = start(home, log, command, timeout=600, ASSISTANT_WEB_WARM_AUDIO="false")
            starts[workers].append(seconds)
            try:
                own = _worker_urls(log, url, workers)
                for worker_url in own:  # models loaded, no question seen
                    asyncio.run(_ask_all(worker_url, ["warm the models"] * 2))
                plan = [("fresh", users[0])] + [("warm", n) for n in users]
                for i, (regime, n) in enumerate(plan):
                    if i == 1:
                        for worker_url in own:
                            asyncio.run(_ask_all(worker_url, questions))
                    load = measure_load(url, proc, n, per_user)
                    runs.setdefault((regime, workers, n), []).append(load)
                    p50, p95 = percentiles(load.latencies)
                    say(
                        f"round {r + 1}, {workers} worker(s), {regime}, {n} users: {len(load.latencies) / load.wall:.2f}/s "
                        f"p50 {p50:.2f} s p95 {p95:.2f} s errors {load.errors} cpu {load.cpu} load {load_avg():.2f}"
                    )
                    for failure in load.failures:
                        say(f"  error: {failure}")
                memory[workers] = _rss_mb(_tree(proc.pid))
            finally:
                stop(proc)
    return runs, starts, memory


def run(
    say=print, *, rounds: int = 2, users: tuple[int, ...] = (20, 50), per_user: int = 10, load_only: bool = False
) -> str:
    from assistant import Assistant, Settings

    work = Path(tempfile.mkdtemp(prefix="web-bench-"))
    try:
        home = work / "data"
        with Assistant(Settings(_env_file=None, home=home)) as a:
            ingest(a)
        lines = [
            "# Web benchmark",
            "",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
            f"`python -m evals.web_bench{' --load-only' if load_only else ''} --rounds {rounds}`",
            "- Server: `assistant web` on 127.0.0.1 over the bundled sample digest (58 articles), extractive answers",
            f"- Machine: {os.cpu_count()} CPUs; load average {load_avg():.2f} at the start",
            "",
        ]
        if not load_only:
            lines += _single(home, work, say)
        core = core_ask_ms(home)
        say(f"core ask, CPU ms: {core}")
        runs, starts, memory = load_matrix(home, work, rounds, users, per_user, say)
        lines += _load_report(runs, starts, memory, core, rounds, per_user)
        lines.append(f"\nLoad average at the end: {load_avg():.2f}.")
        return "\n".join(lines) + "\n"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _single(home: Path, work: Path, say) -> list[str]:
    """Cold start and the browser timings of one `assistant web`."""
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
    finally:
        stop(proc)
    return [
        "| measure | p50 | p95 | target |",
        "|---|---|---|---|",
        f"| cold start of `assistant web` to healthy (s, 3 runs) | {statistics.median(colds):.2f} | {max(colds):.2f} | ≤ 8 s |",
        f"| browser: click to first streamed text (ms, {len(first)} questions) | {1000 * statistics.median(first):.0f} | "
        f"{1000 * percentiles(first)[1]:.0f} | ≤ 300 ms |",
        f"| browser: click to complete answer with source cards (ms) | {1000 * statistics.median(complete):.0f} | "
        f"{1000 * percentiles(complete)[1]:.0f} | ≤ 1,000 ms |",
        "",
    ]


def _load_report(runs, starts, memory, core: dict[str, float], rounds: int, per_user: int) -> list[str]:
    order = ", ".join("1 then 2" if r % 2 == 0 else "2 then 1" for r in range(rounds))
    keys = sorted(runs, key=lambda k: (REGIMES.index(k[0]), k[2], k[1]))
    lines = [
        "## Concurrent users: 1 and 2 web workers",
        "",
        f"`assistant web` (1 worker) and `assistant web --workers 2` in {rounds} rounds ({order} workers), each "
        f"round on a server started afresh. Each user asks {per_user} gold questions one after another through "
        "`POST /api/ask` (the answerable ones of `evals/gold.jsonl`, each user from a different place in the "
        "list). **Fresh**: right after start, every worker meets the questions for the first time (it embeds "
        "the question and the sentences it quotes). **Warm**: after every worker has answered every gold "
        "question once (the vectors are cached, as for a small digest's regular questions). An error is "
        "anything but a 200 with an answer. Figures over all rounds.",
        "",
        "| caches | workers | users | answers | answers/s | p50 (ms) | p95 (ms) | errors | gold article cited |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in keys:
        regime, workers, users = key
        loads = runs[key]
        latencies = [x for load in loads for x in load.latencies]
        p50, p95 = percentiles(latencies)
        wall = sum(load.wall for load in loads)
        lines.append(
            f"| {regime} | {workers} | {users} | {len(latencies)} | {len(latencies) / wall:.2f} | {1000 * p50:.0f} | "
            f"{1000 * p95:.0f} | {sum(load.errors for load in loads)} | "
            f"{sum(load.cited_gold for load in loads) / len(latencies):.0%} |"
        )
    lines += [
        "",
        'Where the CPU went, in CPU ms per answer (user + system, from `/proc/<pid>/stat`). "Process" is '
        "`assistant web` itself: the whole app with 1 worker, the front with 2.",
        "",
        "| caches | workers | users | CPU busy (of 2 cores) | process | workers | Chroma server |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key in keys:
        regime, workers, users = key
        loads = runs[key]
        answers = sum(len(load.latencies) for load in loads)
        wall = sum(load.wall for load in loads)
        cpu: dict[str, float] = {}
        for load in loads:
            for role, seconds in load.cpu.items():
                cpu[role] = cpu.get(role, 0.0) + seconds
        per = {role: 1000 * seconds / answers for role, seconds in cpu.items()}
        lines.append(
            f"| {regime} | {workers} | {users} | {sum(cpu.values()) / wall:.2f} | {per.get('server', 0):.0f} | "
            f"{per.get('worker', 0):.0f} | {per.get('chroma', 0):.0f} |"
        )
    lines += [
        "",
        "The core alone (`Assistant.ask` in one Python process, no web app), CPU ms per gold question:",
        "",
        "| index | fresh | warm | Chroma server's own (fresh, warm) |",
        "|---|---:|---:|---:|",
        f"| embedded folder | {core['embedded fresh']:.0f} | {core['embedded warm']:.0f} | |",
        f"| Chroma server on 127.0.0.1 | {core['server fresh']:.0f} | {core['server warm']:.0f} | "
        f"{core['server fresh chroma']:.0f}, {core['server warm chroma']:.0f} |",
        "",
        "| workers | start to healthy (s, median of rounds) | resident memory after the load (MB, largest process of each kind) |",
        "|---:|---:|---|",
    ]
    for workers in sorted(starts):
        rss = ", ".join(f"{role} {mb:.0f}" for role, mb in sorted(memory.get(workers, {}).items()))
        lines.append(f"| {workers} | {statistics.median(starts[workers]):.1f} | {rss} |")
    return lines


def memory(home: Path, collection: str, workers: int = 2, questions: int = 60, say=print) -> str:
    """Resident memory of `assistant web --workers N` over an existing index (a copy: the server
    writes to it), after ``questions`` gold questions: each process's VmRSS, and how much of it is
    its own (RssAnon) and how much mapped files (RssFile: the libraries, the model, the memory-
    mapped keyword index, which the workers share through the page cache)."""
    log = home.parent / "memory.log"
    proc, url, seconds = start(
        home,
        log,
        f"web --workers {workers}",
        timeout=1800,
        ASSISTANT_COLLECTION=collection,
        ASSISTANT_WEB_WARM_AUDIO="false",
    )
    try:
        asked = [q for q, _ in gold_questions()][:questions]
        latencies = asyncio.run(_load(url, 4, max(1, len(asked) // 4), [(q, set()) for q in asked])).latencies
        rows = []
        for pid, role in sorted(_tree(proc.pid).items(), key=lambda kv: kv[1]):
            status = dict(
                line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
            )
            mb = {k: int(status[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon", "RssFile") if k in status}
            rows.append(
                f"| {role} | {pid} | {mb.get('VmRSS', 0):.0f} | {mb.get('RssAnon', 0):.0f} | {mb.get('RssFile', 0):.0f} |"
            )
        articles = httpx.get(url + "/healthz", timeout=30).json().get("articles")
        say(f"{articles} articles, start {seconds:.1f} s, ask p50 {statistics.median(latencies):.2f} s")
        return "\n".join(
            [
                f"{articles} articles (`{collection}`), `assistant web --workers {workers}`, started in {seconds:.0f} s, "
                f"after {len(latencies)} questions (p50 {1000 * statistics.median(latencies):.0f} ms):",
                "",
                "| process | pid | resident (MB) | own (RssAnon) | mapped files (RssFile) |",
                "|---|---:|---:|---:|---:|",
                *rows,
            ]
        )
    finally:
        stop(proc)


def memory_steps(home: Path, collection: str, questions: int = 60) -> str:
    """What a worker holds, step by step: this process's resident memory (MB) after each part a
    web worker loads, over a Chroma server on the index (a copy: the server writes to it)."""
    from assistant.chroma_server import start as start_chroma

    def rss() -> float:
        return _rss_mb({os.getpid(): "me"})["me"]

    steps = [("Python and the bench's imports", rss())]
    import gradio  # noqa: F401

    import bots.web.app  # noqa: F401

    steps.append(("+ Gradio, FastAPI, the web app's modules", rss()))
    chroma = start_chroma(home / "bench-chroma", data=home / "chroma")
    try:
        from assistant import Assistant, Settings

        settings = Settings(
            _env_file=None, home=home, collection=collection, chroma_host=chroma.host, chroma_port=chroma.port
        )
        with Assistant(settings) as a:
            a.store.count_passages()
            steps.append(("+ the Chroma client, collections open", rss()))
            a.embedder.embed_query("warm")
            steps.append(("+ the embedding model (int8 MiniLM, onnxruntime)", rss()))
            a.keywords.get()
            steps.append(("+ the keyword index (bm25s, memory-mapped)", rss()))
            listing = a.issues()
            steps.append((f"+ the issue listing ({len(listing)} issues)", rss()))
            for q, _ in gold_questions()[:questions]:
                a.ask(q)
            steps.append((f"+ {questions} answers (article cache, sentence vectors)", rss()))
            server = _rss_mb({chroma.process.pid: "chroma"})["chroma"]
    finally:
        chroma.stop()
    lines = ["| a worker's parts, in order | resident (MB) | added |", "|---|---:|---:|"]
    previous = 0.0
    for name, mb in steps:
        lines.append(f"| {name} | {mb:.0f} | {mb - previous:+.0f} |")
        previous = mb
    lines.append(f"| (the Chroma server process, meanwhile) | {server:.0f} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.web_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rounds", type=int, default=2, help="Rounds of the load matrix (default 2).")
    parser.add_argument("--load-only", action="store_true", help="Only the load matrix: no cold starts, no browser.")
    parser.add_argument(
        "--memory", type=Path, metavar="HOME", help="Only the memory of 2 workers over this index home."
    )
    parser.add_argument("--collection", default="digest", help="The index's collection name (with --memory).")
    args = parser.parse_args(argv)
    if args.memory:
        print(memory(args.memory, args.collection, say=lambda line: print(line, file=sys.stderr, flush=True)))
        print()
        print(memory_steps(args.memory, args.collection))
        return 0
    report = run(lambda line: print(line, file=sys.stderr, flush=True), rounds=args.rounds, load_only=args.load_only)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
