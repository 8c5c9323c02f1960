"""Scripts become cached audio files: pick the engine, fall back when it fails, check the
audio, join the parts into chapters, encode, and keep the result by content hash."""

from __future__ import annotations

import difflib
import logging
from functools import cached_property
from pathlib import Path

from assistant.errors import (
    EmptySpeechText,
    NoSpeechEngine,
    SpeechError,
    SpeechStopped,
    SpeechTextTooLong,
    UnknownVoice,
)
from assistant.models import AudioClip, AudioFormat, Chapter
from assistant.ports import SpeechEngine
from assistant.settings import Settings
from assistant.speech.audio import Pcm, check_speech, encode, join, probe
from assistant.speech.cache import AudioCache, content_key
from assistant.speech.engines import (
    ENGINE_NAMES,
    EngineInfo,
    EspeakEngine,
    PiperEngine,
    Pyttsx3Engine,
    normalise_voice,
)
from assistant.speech.script import Script

log = logging.getLogger(__name__)


class Speaker:
    def __init__(self, settings: Settings, engines: dict[str, SpeechEngine] | None = None):
        self._settings = settings
        self._voice_checked = False
        self._closed = False
        self.cache = AudioCache(settings.storage.audio_dir, settings.speech.cache_mb * 1024 * 1024)
        self.opus_encoder: str | None = None  # one of audio.OPUS_ENCODERS; None: the fastest installed
        # Engines are built eagerly but start nothing: pyttsx3 workers spawn on first use.
        self.engines: dict[str, SpeechEngine] = engines or {
            "pyttsx3": Pyttsx3Engine(settings.speech.workers, settings.storage.audio_dir / "tmp"),
            "espeak-ng": EspeakEngine(),
            "piper": PiperEngine(),
        }

    # --- what channels call -----------------------------------------------------------
    def render(self, script: Script, fmt: str, check_length: bool = False) -> AudioClip:
        """The audio of ``script`` in ``fmt``, from the cache when it was made before."""
        if fmt not in set(AudioFormat):
            raise SpeechError(f"unknown audio format {fmt!r}: choose {AudioFormat.choices()}")
        text = script.text
        if not text.strip():
            raise EmptySpeechText()
        if check_length and len(text) > self._settings.speech.max_chars:
            raise SpeechTextTooLong(len(text), self._settings.speech.max_chars)
        self._check_voice()
        engine, voice, rate = self._settings.speech.engine, self.voice, self._settings.speech.rate
        key = content_key(
            parts=[(p.title, p.text) for p in script.parts], engine=engine, voice=voice, rate=rate, format=fmt
        )
        need = _bytes_needed(script, fmt)
        return self.cache.get_or_create(key, fmt, lambda path: self._synthesize(script, fmt, path), need)

    @property
    def voice(self) -> str:
        return normalise_voice(self._settings.speech.engine, self._settings.speech.voice)

    def _check_voice(self) -> None:
        """A mistyped voice is a clear error, not a fallback to another engine."""
        if self._voice_checked:
            return
        engine = self.engines[self._settings.speech.engine]
        if engine.problem() is None:
            known = {v.id.lower() for v in engine.voices()}  # ids are normalised lower-case (macOS's are not)
            if known and self.voice not in known:
                near = difflib.get_close_matches(self.voice, sorted(known), n=5, cutoff=0.6)
                raise UnknownVoice(
                    f"voice {self._settings.speech.voice!r} is not available for {engine.name}"
                    + (f"; try one of: {', '.join(near)}" if near else "")
                )
        self._voice_checked = True

    def describe(self) -> list[EngineInfo]:
        """Every engine, whether it runs here, and its voices."""
        infos = []
        for name in ENGINE_NAMES:
            engine = self.engines[name]
            problem = engine.problem()
            voices = []
            if problem is None:
                try:
                    voices = engine.voices()
                except SpeechError as exc:
                    problem = str(exc)
            infos.append(EngineInfo(name, problem is None, problem or "ready", voices))
        return infos

    def close(self) -> None:
        """Stop speaking: calls in progress and later ones fail at once (a shutdown must not
        wait for an episode to finish, nor fall back to another engine to finish it)."""
        self._closed = True
        for engine in self.engines.values():
            engine.close()

    # --- synthesis ------------------------------------------------------------------
    @cached_property
    def _chain(self) -> list[SpeechEngine]:
        """The chosen engine, then espeak-ng, the dependable fallback (probed once: installs do
        not change while the process runs)."""
        primary = self._settings.speech.engine
        names = [primary] + (["espeak-ng"] if primary != "espeak-ng" else [])
        chain = []
        for name in names:
            problem = self.engines[name].problem()
            if problem:
                log.warning("speech engine %s unavailable: %s", name, problem)
            else:
                chain.append(self.engines[name])
        if not chain:
            raise NoSpeechEngine(f"no speech engine can run here ({primary}, espeak-ng)")
        return chain

    def _speak(self, text: str) -> tuple[Pcm, str]:
        """One part's audio, checked; tries each engine in the chain with retries."""
        rate = self._settings.speech.rate
        words = len(text.split())
        timeout = self._settings.speech.timeout + len(text) / 1000  # long parts get a little longer
        failures = []
        for engine in self._chain:
            voice = normalise_voice(engine.name, self._settings.speech.voice)
            for attempt in range(1 + self._settings.speech.retries):
                if self._closed:
                    raise SpeechStopped()
                try:
                    pcm = engine.synthesize(text, voice, rate, timeout)
                    check_speech(pcm, words, rate)
                    return pcm, engine.name
                except SpeechStopped:
                    raise
                except SpeechError as exc:
                    failures.append(f"{engine.name}: {exc}")
                    log.warning("speech attempt %d with %s failed: %s", attempt + 1, engine.name, exc)
        raise SpeechError("no engine produced valid audio (" + "; ".join(failures[-3:]) + ")")

    def _synthesize(self, script: Script, fmt: str, path: Path) -> AudioClip:
        pcms, used = [], []
        for part in script.parts:
            pcm, engine = self._speak(part.text)
            pcms.append(pcm)
            if engine not in used:
                used.append(engine)
        audio, starts = join(pcms)
        encode(audio, fmt, path, self.opus_encoder)
        duration, sample_rate = probe(path)  # what a player will see, read back from the file
        chapters = [Chapter(start=round(s, 3), title=p.title) for s, p in zip(starts, script.parts)]
        return AudioClip(
            path=str(path),
            format=fmt,
            duration=round(duration, 3),
            sample_rate=sample_rate,
            engine="+".join(used),
            voice=self.voice,
            title=script.title,
            chapters=chapters if len(chapters) > 1 else [],
        )


def _bytes_needed(script: Script, fmt: str) -> int:
    """About what making ``script`` writes: one part's WAV scratch file at a time, then the
    result. Speech runs ~15 characters a second; 16-bit audio at up to 24 kHz is 48 KB a second."""
    wav_per_char = 48_000 // 15
    result_per_char = wav_per_char if fmt == AudioFormat.WAV else wav_per_char // 8
    longest = max((len(p.text) for p in script.parts), default=0)
    return longest * wav_per_char + len(script.text) * result_per_char
