"""Speech benchmark: how fast each engine speaks, and what a listener waits for.

Measured on the bundled sample digest, in a fresh temporary home:

- real-time factor (synthesis seconds / audio seconds) of every engine that runs here, on the
  same ~150-word passage, median of 5 runs, PCM only (no encoding);
- encoding speed of each format (audio seconds per wall second) on the same PCM;
- first audio of an uncached article: ``Assistant.listen_article`` for every sample article,
  MP3 (web players) and OGG/Opus (Telegram), each with an empty cache;
- a cached article: the same call again, p50/p95 over 50 calls;
- a 10-article issue episode (the sample's articles gathered into one issue), MP3 and OGG.

Numbers are reported, not asserted; targets are marked ✓ or ✗.

    python -m evals.speech_bench --out evals/results/speech.md
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel

from evals.bench_support import Machine, code_version, machine_info, percentiles
from index import ingest

PASSAGE = (
    "Mastery is an idea whose time has come again. Leaders who want it in their teams give people time to "
    "practise, access to masters, and honest feedback. They do not hoard expertise, punish early mistakes or "
    "reward only speed. In a long working life, with fast technological change, people need strong threads "
    "that bring stability to their working identities, and mastery is one such thread. The foundation is "
    "deliberate practice: focused, effortful work on the edge of one's ability, repeated over years, with "
    "coaching that names what to do differently next time. Organisations that make room for this keep their "
    "best people longer and adapt faster when their markets shift."
)


class EngineSpeed(BaseModel):
    engine: str
    available: bool
    detail: str = ""
    synth_seconds: float = 0.0
    audio_seconds: float = 0.0

    @property
    def rtf(self) -> float:
        return self.synth_seconds / self.audio_seconds if self.audio_seconds else float("nan")


class SpeechBench(BaseModel):
    date: str
    code: str
    machine: Machine
    engines: list[EngineSpeed]
    encode_speed: dict[str, float]  # audio seconds encoded per wall second
    first_audio: dict[str, list[float]]  # format -> seconds per sample article
    article_audio_seconds: list[float]
    cached_ms: list[float]
    episode_seconds: dict[str, float]
    episode_audio_seconds: float


def run(say=lambda line: None, articles: int | None = None) -> SpeechBench:
    """Every measurement; ``articles`` limits the first-audio runs to that many sample articles."""
    from assistant import Assistant, Settings
    from assistant.models import IssueListing
    from assistant.speech.audio import encode
    from assistant.speech.script import issue_script

    work = Path(tempfile.mkdtemp(prefix="speech-bench-"))
    try:
        settings = Settings(_env_file=None, home=work / "home")
        with Assistant(settings) as a:
            say("ingesting the sample digest")
            ingest(a)
            engines = []
            for info in a.voices():
                row = EngineSpeed(engine=info.name, available=info.available, detail=info.detail)
                if info.available:
                    engine = a.speaker.engines[info.name]
                    voice = settings.speech.voice if info.name != "piper" else info.voices[0].id
                    engine.synthesize("Warm up.", voice, settings.speech.rate, 30)
                    runs = []
                    for _ in range(5):
                        started = time.perf_counter()
                        pcm = engine.synthesize(PASSAGE, voice, settings.speech.rate, 60)
                        runs.append(time.perf_counter() - started)
                    row.synth_seconds, row.audio_seconds = statistics.median(runs), pcm.duration
                    say(f"{info.name}: RTF {row.rtf:.4f}")
                engines.append(row)

            pcm = a.speaker.engines["espeak-ng"].synthesize(PASSAGE * 4, settings.speech.voice, 175, 60)
            encode_speed = {}
            for fmt in ("wav", "mp3", "ogg"):
                started = time.perf_counter()
                encode(pcm, fmt, work / f"encode.{fmt}")
                encode_speed[fmt] = pcm.duration / (time.perf_counter() - started)

            everything = [x for listing in a.issues() for x in listing.articles]
            sample = everything[:articles] if articles else everything
            first: dict[str, list[float]] = {"mp3": [], "ogg": []}
            lengths = []
            for fmt in first:
                for article in sample:
                    shutil.rmtree(settings.storage.audio_dir, ignore_errors=True)
                    started = time.perf_counter()
                    clip = a.listen_article(article.id, fmt)
                    first[fmt].append(time.perf_counter() - started)
                    if fmt == "mp3":
                        lengths.append(clip.duration)
                say(f"first audio {fmt}: p50 {statistics.median(first[fmt]):.2f} s")

            a.listen_article(everything[0].id, "ogg")
            cached = []
            for _ in range(50):
                started = time.perf_counter()
                assert a.listen_article(everything[0].id, "ogg").cached
                cached.append((time.perf_counter() - started) * 1000)

            listing = a.issues()[0]
            ten = IssueListing(issue=listing.issue, articles=everything[:10])
            episode: dict[str, float] = {}
            for fmt in ("mp3", "ogg"):
                shutil.rmtree(settings.storage.audio_dir, ignore_errors=True)
                started = time.perf_counter()
                clip = a.speaker.render(issue_script(ten), fmt)
                episode[fmt] = time.perf_counter() - started
            say(f"10-article episode: {episode}")
        return SpeechBench(
            date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            code=code_version(),
            machine=machine_info(),
            engines=engines,
            encode_speed=encode_speed,
            first_audio=first,
            article_audio_seconds=lengths,
            cached_ms=cached,
            episode_seconds=episode,
            episode_audio_seconds=clip.duration,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def format_markdown(r: SpeechBench) -> str:
    m = r.machine
    lines = [
        "# Speech benchmark",
        "",
        f"- Date: {r.date}; code: {r.code}",
        f"- Machine: {m.cpus} CPUs ({m.cpu_model}), {m.memory_gb:.1f} GB RAM, Python {m.python}",
        "- Corpus: the bundled sample digest; re-run with `python -m evals.speech_bench --out evals/results/speech.md`",
        "",
        "## Engines (same ~150-word passage, PCM only, median of 5)",
        "",
        "| engine | runs here | synthesis (s) | audio (s) | real-time factor |",
        "|---|---|---|---|---|",
    ]
    for e in r.engines:
        if e.available:
            lines.append(f"| {e.engine} | yes | {e.synth_seconds:.3f} | {e.audio_seconds:.1f} | {e.rtf:.4f} |")
        else:
            lines.append(f"| {e.engine} | no: {e.detail} | | | |")
    lines += [
        "",
        "## Encoding (audio seconds per wall second)",
        "",
        "| " + " | ".join(r.encode_speed) + " |",
        "|" + "---|" * len(r.encode_speed),
        "| " + " | ".join(f"{v:.0f}x" for v in r.encode_speed.values()) + " |",
        "",
    ]
    n, lengths = len(r.article_audio_seconds), r.article_audio_seconds
    lines += [
        f"## What a listener waits for ({n} sample articles, {min(lengths):.0f}-{max(lengths):.0f} s of audio each, "
        f"median {statistics.median(lengths):.0f} s)",
        "",
        "| measure | p50 | p95 | max | target |",
        "|---|---|---|---|---|",
    ]
    for fmt, values in r.first_audio.items():
        ok = statistics.median(values) <= 1.5
        lines.append(
            f"| first audio of an uncached article, {fmt} (s) | {statistics.median(values):.2f} | "
            f"{percentiles(values)[1]:.2f} | {max(values):.2f} | ≤ 1.5 s {_mark(ok)} |"
        )
    lines.append(
        f"| cached article (ms) | {statistics.median(r.cached_ms):.1f} | {percentiles(r.cached_ms)[1]:.1f} | "
        f"{max(r.cached_ms):.1f} | ≤ 50 ms {_mark(percentiles(r.cached_ms)[1] <= 50)} |"
    )
    for fmt, seconds in r.episode_seconds.items():
        lines.append(
            f"| 10-article issue episode, {fmt} ({r.episode_audio_seconds / 60:.1f} min of audio) (s) | "
            f"{seconds:.2f} | | | ≤ 10 s {_mark(seconds <= 10)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.speech_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the Markdown report here (and the raw numbers as .json)")
    args = parser.parse_args(argv)
    result = run(lambda line: print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True))
    text = format_markdown(result)
    print(text)
    if args.out:
        save(result, args.out)
    return 0


def save(result: SpeechBench, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(format_markdown(result), encoding="utf-8")
    out.with_suffix(".json").write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
