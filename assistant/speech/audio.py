"""Audio samples in memory, their checks, and their encoding to WAV, MP3 and OGG/Opus.

soundfile's bundled libsndfile writes all three formats, so no system codec is needed. OGG/Opus
is libsndfile's slowest (~40x real time: seconds for an article), so when PyAV is installed (the
``fast-audio`` extra) libopus encodes it instead, through FFmpeg, about 7x faster (docs/listen.md)."""

from __future__ import annotations

import errno
import functools
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from assistant.errors import SpeechError
from assistant.models import AudioFormat

log = logging.getLogger(__name__)
OPUS_RATE = 48_000  # Opus only takes 48 kHz (and Telegram voice notes must be OGG/Opus)
PART_PAUSE = 0.6  # seconds of silence between the parts of a script
_FORMATS = {  # libsndfile's container and codec for each AudioFormat
    AudioFormat.WAV: {"format": "WAV", "subtype": "PCM_16"},
    AudioFormat.MP3: {"format": "MP3", "subtype": "MPEG_LAYER_III"},
    AudioFormat.OGG: {"format": "OGG", "subtype": "OPUS"},
}
_COMPRESSION = {"mp3": 0.9, "ogg": 0.8}  # speech: ~37 kbit/s MP3; Opus at 0.8 encodes 2.6x faster than at 0.9
OPUS_ENCODERS = ("libopus", "libsndfile")  # the fast one (PyAV) first; libsndfile (soundfile) always works
# libopus for speech: the "audio" application (CELT) at complexity 0 encodes fastest; "voip" (SILK)
# is 1.5-3x slower at any complexity (docs/listen.md has the comparison). ~32-40 kbit/s.
LIBOPUS_APPLICATION, LIBOPUS_COMPLEXITY, LIBOPUS_BIT_RATE = "audio", 0, 32_000
_FRAME_SECONDS = 30  # PCM handed to FFmpeg at a time: a long episode is never resampled whole in memory


@dataclass
class Pcm:
    """Mono float32 samples in -1..1."""

    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0

    @classmethod
    def read(cls, path: Path | str) -> Pcm:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        return cls(data.mean(axis=1), rate)

    @classmethod
    def from_bytes(cls, payload: bytes) -> Pcm:
        data, rate = sf.read(io.BytesIO(payload), dtype="float32", always_2d=True)
        return cls(data.mean(axis=1), rate)


def check_speech(pcm: Pcm, words: int, rate_wpm: int) -> None:
    """Refuse audio that is empty, silent, or far too short or long for its words: the
    failures seen from pyttsx3 (empty or truncated files, another request's audio)."""
    if pcm.duration <= 0.05:
        raise SpeechError("the engine produced empty audio")
    if float(np.sqrt(np.mean(np.square(pcm.samples)))) < 1e-4:
        raise SpeechError("the engine produced silence")
    expected = 60.0 * max(words, 1) / max(rate_wpm, 1)
    low, high = 0.3 * expected, 3.0 * expected + 2.0  # engines pause differently; swapped audio is far off
    if not low <= pcm.duration <= high:
        raise SpeechError(f"the audio lasts {pcm.duration:.1f} s, not about {expected:.1f} s for {words} words")


def resample(pcm: Pcm, rate: int) -> Pcm:
    """Linear interpolation: enough for speech going up to 48 kHz (no content above Nyquist)."""
    if pcm.rate == rate or len(pcm.samples) == 0:
        return pcm
    n_out = int(round(len(pcm.samples) * rate / pcm.rate))
    positions = np.arange(n_out, dtype=np.float64) * (pcm.rate / rate)
    samples = np.interp(positions, np.arange(len(pcm.samples)), pcm.samples).astype(np.float32)
    return Pcm(samples, rate)


def join(parts: list[Pcm], pause: float = PART_PAUSE) -> tuple[Pcm, list[float]]:
    """Concatenate parts with a pause between them; returns the audio and each part's start."""
    if not parts:
        raise SpeechError("nothing to join")
    rate = parts[0].rate
    parts = [resample(p, rate) for p in parts]
    gap = np.zeros(int(pause * rate), dtype=np.float32)
    chunks: list[np.ndarray] = []
    starts: list[float] = []
    position = 0
    for i, part in enumerate(parts):
        if i:
            chunks.append(gap)
            position += len(gap)
        starts.append(position / rate)
        chunks.append(part.samples.astype(np.float32, copy=False))
        position += len(part.samples)
    return Pcm(np.concatenate(chunks), rate), starts


@functools.cache
def opus_encoder() -> str:
    """The fastest OGG/Opus encoder installed: ``libopus`` when PyAV (the ``fast-audio`` extra)
    bundles it, else ``libsndfile``. Looked up once: installs do not change while the process runs."""
    try:
        import av

        av.codec.Codec("libopus", "w")
    except (ImportError, ValueError) as exc:  # not installed, or an FFmpeg built without libopus
        log.info("OGG/Opus through libsndfile (%s); the fast-audio extra is several times faster", exc)
        return "libsndfile"
    return "libopus"


def encode(pcm: Pcm, fmt: str, path: Path, opus: str | None = None) -> None:
    """Write ``pcm`` as ``fmt`` (wav, mp3, ogg) to ``path``. ``opus``: the OGG encoder, one of
    ``OPUS_ENCODERS`` (None: the fastest installed)."""
    try:
        spec = _FORMATS[AudioFormat(fmt)]
    except ValueError:
        raise SpeechError(f"unknown audio format {fmt!r}: choose {AudioFormat.choices()}") from None
    if fmt == "ogg":
        if opus not in (None, *OPUS_ENCODERS):
            raise SpeechError(f"unknown Opus encoder {opus!r}: choose {', '.join(OPUS_ENCODERS)}")
        if opus == "libopus" and opus_encoder() != "libopus":
            raise SpeechError("libopus needs PyAV: pip install '.[fast-audio]'")
        if (opus or opus_encoder()) == "libopus":
            encode_libopus(pcm, path)
            return
        pcm = resample(pcm, OPUS_RATE)
    samples = np.clip(pcm.samples, -1.0, 1.0)
    extra = {"compression_level": _COMPRESSION[fmt]} if fmt in _COMPRESSION else {}
    try:
        sf.write(str(path), samples, pcm.rate, format=spec["format"], subtype=spec["subtype"], **extra)
    except sf.SoundFileError as exc:  # libsndfile reports a failed write (a full disk) this way
        raise OSError(errno.EIO, f"could not encode {fmt}: {exc}") from None


def encode_libopus(
    pcm: Pcm,
    path: Path,
    application: str = LIBOPUS_APPLICATION,
    complexity: int = LIBOPUS_COMPLEXITY,
    bit_rate: int = LIBOPUS_BIT_RATE,
) -> None:
    """OGG/Opus, mono, 48 kHz, through PyAV's FFmpeg: its resampler (swresample, windowed sinc)
    takes the engine's rate to 48 kHz on the way in, so ``resample`` is not needed here. The
    settings are arguments so that evals/speech_bench.py can compare others."""
    import av

    samples = np.clip(pcm.samples, -1.0, 1.0).astype(np.float32)
    step = _FRAME_SECONDS * pcm.rate
    try:
        with av.open(str(path), "w", format="ogg") as container:
            options = {"application": application, "compression_level": str(complexity)}
            stream = container.add_stream("libopus", rate=OPUS_RATE, options=options)
            stream.layout = "mono"
            stream.bit_rate = bit_rate
            for start in range(0, len(samples), step):
                frame = av.AudioFrame.from_ndarray(samples[None, start : start + step], format="flt", layout="mono")
                frame.sample_rate = pcm.rate
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))  # flush: the encoder holds its last frames back
    except av.FFmpegError as exc:
        if isinstance(exc, OSError):  # a failed write (a full disk): PyAV's errno errors are OSErrors too
            raise OSError(exc.errno or errno.EIO, f"could not encode ogg: {exc.strerror or exc}") from None
        raise SpeechError(f"libopus could not encode the audio: {exc}") from None


def probe(path: Path) -> tuple[float, int]:
    """Duration (s) and sample rate of an encoded file, read back from the file itself."""
    info = sf.info(str(path))
    return info.duration, info.samplerate
