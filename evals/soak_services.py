"""The soak's processes: the Chroma server, the two stand-ins, `assistant serve`, the ingests
that write into the server while it serves (from a JSONL folder whose records change every
cycle), the serve process's memory over time, and the integrity check at the end.

Every process here is a child the soak started, stopped by its own pid. The stand-ins (a flaky
OpenAI-protocol server, the Telegram Bot API) live in ``tests/fakes`` and run as programs
(``python -m tests.fakes.…`` in this checkout), never imported: evals sits on top of the
product, and a test helper is not part of it.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
FAKES = ROOT / "tests" / "fakes"
# Variables of the developer's own setup that must not leak into the soak's processes.
_OWN_VARIABLES = ("ASSISTANT_", "TELEGRAM_", "OPENAI_")


class SoakError(RuntimeError):
    """The soak could not set itself up (not a finding about the product)."""


def clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_VARIABLES)}
    env.update({"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "ORT_DISABLE_TELEMETRY": "1"})
    env.update(overrides)
    return env


@dataclass
class Child:
    """A process the soak started; ``stop`` ends it (and only it) by its pid."""

    name: str
    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode


def start_stand_in(module: str, args: list[str], log: Path, timeout: float = 60.0) -> tuple[Child, dict[str, Any]]:
    """``python -m tests.fakes.<module> ARGS`` in this checkout; returns it and the JSON line it
    prints when it listens (its port and base URL)."""
    if not (FAKES / f"{module}.py").is_file():
        raise SoakError(f"the soak needs a source checkout with tests/fakes/{module}.py (it runs the stand-ins)")
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", f"tests.fakes.{module}", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=clean_env(),
        )
    child = Child(module, proc, log)
    line = _first_line(proc.stdout, timeout) if proc.stdout else ""
    try:
        return child, json.loads(line)
    except ValueError:
        child.stop()
        raise SoakError(f"the {module} stand-in did not start: {log.read_text(errors='replace')[-2000:]}") from None


def _first_line(stream: IO[str], timeout: float) -> str:
    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if ready else ""


def assistant_cmd() -> list[str]:
    from evals.bench_support import assistant_command

    return assistant_command()


def run_assistant(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 600.0) -> tuple[int, str, str]:
    """`assistant ARGS` to completion: (exit code, stdout, stderr)."""
    done = subprocess.run([*assistant_cmd(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


async def arun_assistant(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 600.0
) -> tuple[int, str, str]:
    """The same without blocking the event loop the traffic runs on."""
    proc = await asyncio.create_subprocess_exec(
        *assistant_cmd(), *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return -1, "", f"timed out after {timeout:.0f} s"
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


# --- memory of the serve process --------------------------------------------------------------


def rss_mb(pid: int) -> float | None:
    """Resident memory of one process (VmRSS), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def descendants(pid: int) -> list[int]:
    """Child processes, recursively (speech workers, encoders), from /proc."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            found.extend(children)
            todo.extend(children)
    return found


@dataclass
class RssSample:
    at: float  # seconds since the soak's traffic started
    main_mb: float
    tree_mb: float  # with its child processes
    children: int


@dataclass
class RssSampler:
    pid: int
    started: float
    samples: list[RssSample] = field(default_factory=list)

    def sample(self) -> RssSample | None:
        main = rss_mb(self.pid)
        if main is None:
            return None
        kids = descendants(self.pid)
        tree = main + sum(rss_mb(k) or 0.0 for k in kids)
        found = RssSample(time.monotonic() - self.started, main, tree, len(kids))
        self.samples.append(found)
        return found

    async def run(self, stop: asyncio.Event, every: float) -> None:
        while not stop.is_set():
            self.sample()
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                pass
        self.sample()


# --- records that change while the soak serves -------------------------------------------------

FIRST_WEEK = 455  # the sample's newest issue is week 454 (May 22-28, 2026)
FIRST_DAY = date(2026, 5, 29)
_LETTERS = "bcdfghjklmnpqrstvwxz"


def codeword(kind: str, cycle: int) -> str:
    """A made-up word no article holds, so a keyword search finds only the record that carries it."""
    digits = f"{cycle:04d}"
    return "soak" + kind + "".join(_LETTERS[int(d) * 2] for d in digits) + "qu"


@dataclass
class Expectation:
    """What the serving process must see after one cycle's ingest: each id found by searching its
    codeword; each gone id found by nothing."""

    cycle: int
    week: int
    present: dict[str, str] = field(default_factory=dict)  # article id -> codeword
    gone: dict[str, str] = field(default_factory=dict)  # article id -> the codeword it carried
    titles: dict[str, str] = field(default_factory=dict)  # article id -> title (a /week listing shows it)


@dataclass
class RecordFeed:
    """A JSONL folder that changes every cycle: a new weekly issue (two articles), an edit to a
    standing article, and one article of the previous issue withdrawn."""

    folder: Path
    cycle: int = -1

    def advance(self) -> Expectation:
        self.cycle += 1
        c = self.cycle
        week = FIRST_WEEK + c
        start = FIRST_DAY + timedelta(days=7 * c)
        expect = Expectation(c, week)
        self.folder.mkdir(parents=True, exist_ok=True)

        evergreen = codeword("ever", c)  # a backlog issue's article, edited every cycle
        note = self._record("soak-standing-note", f"Standing soak note {evergreen}", evergreen, 300, date(2023, 6, 9))
        self._write("standing.jsonl", [note])
        expect.present["soak-standing-note"] = evergreen
        records = []
        for slot in ("a", "b"):
            word = codeword(slot, c)
            article_id = f"soak-w{week}-{slot}"
            title = f"Soak issue {week} article {slot} on {word}"
            records.append(self._record(article_id, title, word, week, start))
            expect.present[article_id] = word
            expect.titles[article_id] = title
        self._write(f"week-{week}.jsonl", records)
        if c > 0:  # the previous issue keeps article a only: b is withdrawn
            before = FIRST_WEEK + c - 1
            word = codeword("a", c - 1)
            kept = self._record(
                f"soak-w{before}-a", f"Soak issue {before} article a on {word}", word, before, start - timedelta(days=7)
            )
            self._write(f"week-{before}.jsonl", [kept])
            expect.gone[f"soak-w{before}-b"] = codeword("b", c - 1)
        return expect

    def _record(self, article_id: str, title: str, word: str, week: int, day: date) -> dict[str, Any]:
        end = day + timedelta(days=6)
        return {
            "id": article_id,
            "title": title,
            "author": "Soak Tester",
            "magazine": "The Soak Quarterly",
            "published": day.isoformat(),
            "week": week,
            "issue_dates": f"{day:%B} {day.day}-{end:%B} {end.day}, {end.year}",
            "issue_url": f"https://example.org/soak/week-{week}/",
            "url": f"https://example.org/soak/{article_id}",
            "topics": ["soak testing", "reliability"],
            "takeaways": [f"The record {word} exists to be found after an ingest.", "Nothing here is real."],
            "summary": [
                f"This record carries the marker {word}, a word no other article uses, so a search for it finds "
                "this record and no other.",
                "It was written by the soak test while the assistant was serving, to show that a running process "
                "sees what another process ingests into the shared Chroma server.",
            ],
        }

    def _write(self, name: str, records: list[dict[str, Any]]) -> None:
        tmp = self.folder / f".{name}.tmp"
        tmp.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        tmp.replace(self.folder / name)  # a concurrent reader sees the old file or the new one


# --- the integrity check (`assistant check`, written separately) -----------------------------


@dataclass
class CheckResult:
    available: bool
    ok: bool
    summary: str


def integrity_check(env: dict[str, str], cwd: Path) -> CheckResult:
    """`assistant check --json` when the command exists; "not available" otherwise."""
    try:
        code, _, _ = run_assistant(["check", "--help"], env, cwd, timeout=120)
    except subprocess.TimeoutExpired:
        return CheckResult(False, True, "check: not available (`assistant check --help` timed out)")
    if code != 0:
        return CheckResult(False, True, "check: not available")
    try:
        code, out, err = run_assistant(["check", "--json"], env, cwd, timeout=900)
    except subprocess.TimeoutExpired:
        return CheckResult(True, False, "check: timed out after 900 s")
    text = (out.strip() or err.strip())[-1500:]
    return CheckResult(True, code == 0, f"check: exit {code}: {text}")
