"""Speech benchmark: how fast each engine speaks, and what a listener waits for.

Measured on the bundled sample digest, in a fresh temporary home:

- real-time factor (synthesis seconds / audio seconds) of every engine that runs here, on the
  same ~150-word passage, median of 5 runs, PCM only (no encoding);
- encoding speed of each format (audio seconds per wall second) on the same PCM, OGG/Opus through
  both encoders (libsndfile, the fallback; libopus through PyAV, the ``fast-audio`` extra);
- Opus settings side by side on one article's PCM, interleaved: libsndfile, libopus with the
  ``audio`` and ``voip`` applications at several complexities, and two halves in two threads;
- where the first uncached OGG's time goes: synthesis, resampling to 48 kHz, encoding, read-back;
- first audio of an uncached article: ``Assistant.listen_article`` for every sample article,
  MP3 (web players) and OGG/Opus (Telegram) through each encoder, interleaved (the order
  alternates), each with an empty cache;
- a cached article: the same call again, p50/p95 over 50 calls;
- a 10-article issue episode (the sample's articles gathered into one issue): MP3 once, OGG twice
  through each encoder, interleaved.

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

from evals.bench_support import Machine, code_version, load_avg, machine_info, percentiles
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


class OpusOption(BaseModel):
    name: str
    seconds: list[float]
    kbit_s: float  # of the file written (0 when the option writes none)


class SpeechBench(BaseModel):
    date: str
    code: str
    machine: Machine
    engines: list[EngineSpeed]
    encode_speed: dict[str, float]  # audio seconds encoded per wall second
    first_audio: dict[str, list[float]]  # format -> seconds per sample article
    article_audio_seconds: list[float]
    cached_ms: list[float]
    episode_seconds: dict[str, float]  # median of ``episode_runs``
    episode_audio_seconds: float
    episode_runs: dict[str, list[float]] = {}
    opus_options: list[OpusOption] = []
    opus_audio_seconds: float = 0.0
    breakdown: dict[str, list[float]] = {}  # stage -> seconds per article, first uncached OGG
    load: list[float] = []  # 1-minute load average at the start and the end


def _opus_options(pcm, work: Path, encoders: list[str], rounds: int = 3) -> list[OpusOption]:
    """Each way to make OGG/Opus, on the same PCM, round-robin (``rounds`` times each)."""
    from concurrent.futures import ThreadPoolExecutor

    from assistant.speech.audio import Pcm, encode, encode_libopus

    options = {"libsndfile, compression 0.8 (the fallback)": lambda path: encode(pcm, "ogg", path, "libsndfile")}
    if "libopus" in encoders:
        for application, complexity in (("audio", 0), ("audio", 5), ("audio", 10), ("voip", 0), ("voip", 5)):
            name = f"libopus, {application}, complexity {complexity}" + (
                " (chosen)" if (application, complexity) == ("audio", 0) else ""
            )
            options[name] = lambda path, a=application, c=complexity: encode_libopus(pcm, path, a, c)
        half = len(pcm.samples) // 2
        halves = [Pcm(pcm.samples[:half], pcm.rate), Pcm(pcm.samples[half:], pcm.rate)]

        def two_threads(path: Path) -> None:  # timing only: the halves are not joined into one stream
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda i: encode_libopus(halves[i], path.with_suffix(f".{i}.ogg")), range(2)))
            path.with_suffix(".0.ogg").rename(path)

        options["libopus, audio, complexity 0, two halves in two threads (not joined)"] = two_threads
    seconds: dict[str, list[float]] = {name: [] for name in options}
    sizes: dict[str, float] = {}
    for _ in range(rounds):
        for name, make in options.items():
            path = work / "option.ogg"
            started = time.perf_counter()
            make(path)
            seconds[name].append(time.perf_counter() - started)
            sizes[name] = path.stat().st_size * 8 / 1000 / pcm.duration
            if "two halves" in name:
                sizes[name] = 0.0
    return [OpusOption(name=n, seconds=seconds[n], kbit_s=sizes[n]) for n in options]


def _breakdown(a, articles, work: Path, encoders: list[str]) -> dict[str, list[float]]:
    """Where the first uncached OGG of an article goes, stage by stage, through the speaker's own
    synthesis (engine, checks, retries) and each encoder."""
    from assistant.speech.audio import OPUS_RATE, encode, join, probe, resample
    from assistant.speech.script import article_script

    stages: dict[str, list[float]] = {}

    def timed(stage: str, started: float) -> float:
        now = time.perf_counter()
        stages.setdefault(stage, []).append(now - started)
        return now

    for article in articles:
        started = time.perf_counter()
        script = article_script(a.show(article.id))
        started = timed("article and script", started)
        pcms = [a.speaker._speak(part.text)[0] for part in script.parts]  # what render() runs first
        started = timed("synthesis (pyttsx3, 22.05 kHz) and checks", started)
        pcm, _ = join(pcms)
        started = timed("join", started)
        if "libopus" in encoders:
            encode(pcm, "ogg", work / "stage.ogg", "libopus")
            started = timed("libopus: resample (swresample) and encode", started)
        up = resample(pcm, OPUS_RATE)
        started = timed("libsndfile: resample to 48 kHz (numpy)", started)
        encode(up, "ogg", work / "stage.ogg", "libsndfile")
        started = timed("libsndfile: encode", started)
        probe(work / "stage.ogg")
        timed("read back duration", started)
    return stages


def run(say=lambda line: None, articles: int | None = None) -> SpeechBench:
    """Every measurement; ``articles`` limits the first-audio runs to that many sample articles."""
    from assistant import Assistant, Settings
    from assistant.models import IssueListing
    from assistant.speech.audio import encode, opus_encoder
    from assistant.speech.script import issue_script

    load = [load_avg()]
    encoders = ["libsndfile"] + (["libopus"] if opus_encoder() == "libopus" else [])  # before, after
    if len(encoders) == 1:
        say("PyAV is not installed (the fast-audio extra): OGG through libsndfile only")
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
            for fmt in ("wav", "mp3", *(f"ogg {e}" for e in encoders)):
                started = time.perf_counter()
                encode(pcm, fmt.split()[0], work / f"encode.{fmt.split()[0]}", *fmt.split()[1:])
                encode_speed[fmt] = pcm.duration / (time.perf_counter() - started)
            options = _opus_options(pcm, work, encoders)
            for option in options:
                say(f"{option.name}: {statistics.median(option.seconds):.2f} s for {pcm.duration:.0f} s of audio")

            everything = [x for listing in a.issues() for x in listing.articles]
            sample = everything[:articles] if articles else everything
            breakdown = _breakdown(a, sample[: min(len(sample), 10)], work, encoders)
            say("breakdown: " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in breakdown.items()))

            first: dict[str, list[float]] = {"mp3": [], **{f"ogg {e}": [] for e in encoders}}
            lengths = []
            for article in sample:
                shutil.rmtree(settings.storage.audio_dir, ignore_errors=True)
                started = time.perf_counter()
                clip = a.listen_article(article.id, "mp3")
                first["mp3"].append(time.perf_counter() - started)
                lengths.append(clip.duration)
            say(f"first audio mp3: p50 {statistics.median(first['mp3']):.2f} s")
            for i, article in enumerate(sample):
                for encoder in encoders if i % 2 == 0 else encoders[::-1]:  # A/B, B/A: load hits both
                    shutil.rmtree(settings.storage.audio_dir, ignore_errors=True)
                    a.speaker.opus_encoder = encoder
                    started = time.perf_counter()
                    a.listen_article(article.id, "ogg")
                    first[f"ogg {encoder}"].append(time.perf_counter() - started)
            a.speaker.opus_encoder = None
            for encoder in encoders:
                say(f"first audio ogg {encoder}: p50 {statistics.median(first[f'ogg {encoder}']):.2f} s")

            a.listen_article(everything[0].id, "ogg")
            cached = []
            for _ in range(50):
                started = time.perf_counter()
                assert a.listen_article(everything[0].id, "ogg").cached
                cached.append((time.perf_counter() - started) * 1000)

            listing = a.issues()[0]
            ten = IssueListing(issue=listing.issue, articles=everything[:10])
            runs_by: dict[str, list[float]] = {}
            order = [("mp3", None)] + [("ogg", e) for e in encoders] + [("ogg", e) for e in encoders[::-1]]
            for fmt, encoder in order:
                shutil.rmtree(settings.storage.audio_dir, ignore_errors=True)
                a.speaker.opus_encoder = encoder
                started = time.perf_counter()
                clip = a.speaker.render(issue_script(ten), fmt)
                runs_by.setdefault(f"{fmt} {encoder}" if encoder else fmt, []).append(time.perf_counter() - started)
            a.speaker.opus_encoder = None
            episode = {k: statistics.median(v) for k, v in runs_by.items()}
            say(f"10-article episode: {episode}")
        load.append(load_avg())
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
            episode_runs=runs_by,
            opus_options=options,
            opus_audio_seconds=pcm.duration,
            breakdown=breakdown,
            load=load,
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
        f"- Machine: {m.cpus} CPUs ({m.cpu_model}), {m.memory_gb:.1f} GB RAM, Python {m.python}"
        + (f"; 1-minute load {r.load[0]:.1f} at the start, {r.load[-1]:.1f} at the end" if r.load else ""),
        f"- Corpus: the bundled sample digest; re-run with `python -m evals.speech_bench --articles "
        f"{len(r.article_audio_seconds)} --out evals/results/speech.md`",
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
    if r.opus_options:
        lines += [
            f"## OGG/Opus settings ({r.opus_audio_seconds:.0f} s of speech at 22.05 kHz, interleaved, "
            f"{len(r.opus_options[0].seconds)} rounds)",
            "",
            "| encoder | p50 (s) | max (s) | kbit/s |",
            "|---|---:|---:|---:|",
        ]
        for o in r.opus_options:
            size = f"{o.kbit_s:.0f}" if o.kbit_s else "—"
            lines.append(f"| {o.name} | {statistics.median(o.seconds):.2f} | {max(o.seconds):.2f} | {size} |")
        lines.append("")
    if r.breakdown:
        n = len(next(iter(r.breakdown.values())))
        lines += [
            f"## Where the first uncached OGG goes ({n} articles)",
            "",
            "| stage | p50 (s) | max (s) |",
            "|---|---:|---:|",
        ]
        lines += [f"| {k} | {statistics.median(v):.3f} | {max(v):.3f} |" for k, v in r.breakdown.items()]
        lines.append("")
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
            f"{seconds:.2f} | | {max(r.episode_runs.get(fmt, [seconds])):.2f} | ≤ 10 s {_mark(seconds <= 10)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.speech_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the Markdown report here (and the raw numbers as .json)")
    parser.add_argument("--articles", type=int, help="first-audio runs on this many sample articles (default: all)")
    args = parser.parse_args(argv)
    say = lambda line: print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)  # noqa: E731
    result = run(say, args.articles)
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
