"""A pyttsx3 engine in its own process, driven by one JSON line per request on stdin.

pyttsx3 on Linux returns from ``runAndWait`` before the file is written, crashes with two
engines in one process and drops audio when used from threads (seen on this project's machines; docs/listen.md).
So each engine lives alone in a worker process that handles one request at a time and only
answers once the "finished-utterance" event has fired and the WAV on disk is complete.

Requests:  {"id": 1, "op": "speak", "text": ..., "path": ..., "voice": ..., "rate": 175, "timeout": 10}
           {"id": 2, "op": "voices"}
Responses: {"id": 1, "ok": true} or {"id": 1, "ok": false, "error": "..."}; first line {"ready": true}.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import wave

EMPTY_RETRIES = 2


def _wav_frames(path: str) -> int:
    with wave.open(path, "rb") as w:
        return w.getnframes()


def _any_frames(path: str) -> int:
    """Frames of any audio file soundfile reads. NSSpeechSynthesizer (macOS) writes AIFF whatever
    the file's name; the parent reads the result with soundfile too."""
    import soundfile

    return int(soundfile.info(path).frames)


def _frames(path: str, grace: float, count=_wav_frames) -> int:
    """Frames in the audio at ``path``, waiting up to ``grace`` s for its header to be patched."""
    deadline = time.monotonic() + grace
    while True:
        try:
            frames = count(path)
            if frames > 0:
                return frames
        except (OSError, EOFError, wave.Error, RuntimeError):  # soundfile's errors are RuntimeErrors
            frames = -1
        if time.monotonic() > deadline:
            return max(frames, 0)
        time.sleep(0.01)


def _keep_the_last_samples() -> None:
    """pyttsx3 2.99's espeak driver appends a callback's samples only after handling its events,
    so when the end-of-message event comes with the last samples, the WAV is written without
    them: an empty file for a short text (about 1 request in 10 here), a cut tail for a long one.
    Append the samples first, then let the driver handle the events."""
    import ctypes

    from pyttsx3.drivers import espeak as driver

    original = driver.EspeakDriver._onSynth

    def on_synth(self, wav, numsamples, events):
        if self._speaking and numsamples > 0:
            self._data_buffer += ctypes.string_at(wav, numsamples * ctypes.sizeof(ctypes.c_short))
        return original(self, wav, 0, events)

    driver.EspeakDriver._onSynth = on_synth


def main() -> None:
    # The protocol gets its own copy of stdout; pyttsx3 prints "Audio saved to ..." on fd 1.
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def reply(payload: dict) -> None:
        protocol.write(json.dumps(payload) + "\n")
        protocol.flush()

    import pyttsx3

    linux = sys.platform.startswith("linux")
    if linux:  # SAPI5 and NSSpeech have their own drivers
        _keep_the_last_samples()
    engine = pyttsx3.init()
    count = _wav_frames if linux else _any_frames
    # Elsewhere voice ids are the system's, in mixed case ("com.apple.voice.compact.en-US.Samantha"),
    # and the parent sends them lower-cased: look them up. An unknown one keeps the system's default.
    system_voices = {} if linux else {v.id.lower(): v.id for v in engine.getProperty("voices")}
    finished = threading.Event()
    engine.connect("finished-utterance", lambda name, completed: finished.set())
    reply({"ready": True})

    for line in sys.stdin:
        request = json.loads(line)
        rid = request.get("id")
        try:
            if request["op"] == "voices":
                voices = [
                    {"id": v.id, "name": v.name, "language": (v.languages or [""])[0]}
                    for v in engine.getProperty("voices")
                ]
                reply({"id": rid, "ok": True, "voices": voices})
                continue
            deadline = time.monotonic() + float(request.get("timeout", 10))
            for attempt in range(1, EMPTY_RETRIES + 2):  # noqa: B007  (read in the for-else below)
                finished.clear()
                if linux:
                    engine.setProperty("voice", request["voice"])
                elif (voice := system_voices.get(request["voice"].lower())) is not None:
                    engine.setProperty("voice", voice)
                engine.setProperty("rate", int(request["rate"]))
                engine.save_to_file(request["text"], request["path"])
                engine.runAndWait()
                if not finished.wait(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError("pyttsx3 did not finish the utterance in time")
                if _frames(request["path"], min(0.2, max(0.0, deadline - time.monotonic())), count):
                    break
                # espeak sometimes ends a message without any audio (~1 in 15 requests here); a
                # new try costs milliseconds, far less than the parent's timeout and retry.
            else:
                raise RuntimeError(f"pyttsx3 wrote an empty WAV {attempt} times")
            reply({"id": rid, "ok": True})
        except Exception as exc:  # the parent decides what to do: retry, restart or fall back
            reply({"id": rid, "ok": False, "error": f"{type(exc).__name__}: {exc}"})


if __name__ == "__main__":
    main()
