"""Audio files kept by content hash, with a size limit and least-recently-used eviction.

Each entry is ``<key>.<format>`` plus ``<key>.json`` (its AudioClip). Both are written to
temporary names and renamed into place, so a failed write (a full disk, say) leaves nothing
half-written, and another process never reads a partial file. Concurrent requests for one key
wait for a single synthesis, within a process (a thread lock) and across processes sharing the
folder, as `assistant serve --workers N` does (a file lock, one of 256 by the key's first two hex
digits, so the lock files never pile up). One process at a time evicts."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock

from assistant.errors import AudioCacheError
from assistant.models import AudioClip, AudioFormat

log = logging.getLogger(__name__)
_SPARE_BYTES = 256 * 1024  # never fill the disk to the last byte: the index and logs live there too
_LOCKS = ".locks"  # beside the entries; entries() reads only the folder's own files


def content_key(**parts: object) -> str:
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40]


class AudioCache:
    def __init__(self, folder: Path, max_bytes: int):
        self.folder = folder
        self.max_bytes = max_bytes
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def audio_path(self, key: str, fmt: str) -> Path:
        return self.folder / f"{key}.{fmt}"

    def get(self, key: str, fmt: str) -> AudioClip | None:
        audio, meta = self.audio_path(key, fmt), self.folder / f"{key}.json"
        try:
            clip = AudioClip.model_validate_json(meta.read_text(encoding="utf-8"))
            if not audio.is_file():
                return None
            os.utime(meta)  # the "recently used" of LRU
        except (OSError, ValueError):
            return None
        return clip.model_copy(update={"cached": True, "path": str(audio)})

    def get_or_create(self, key: str, fmt: str, make: Callable[[Path], AudioClip], need_bytes: int = 0) -> AudioClip:
        """The cached clip, or ``make(tmp_path)``'s, written atomically and then cached.
        ``need_bytes``: about what making it writes (scratch and result), checked first."""
        if (hit := self.get(key, fmt)) is not None:
            return hit
        try:
            with self._lock_for(key), self._file_lock(key[:2]):
                if (hit := self.get(key, fmt)) is not None:  # another thread or process made it meanwhile
                    return hit
                clip = self._create(key, fmt, make, need_bytes)
        finally:
            with self._locks_guard:  # waiters hold their own reference; newcomers find the file
                self._locks.pop(key, None)
        self._evict(keep=key)
        return clip

    def _create(self, key: str, fmt: str, make: Callable[[Path], AudioClip], need_bytes: int) -> AudioClip:
        suffix = f".{os.getpid()}.{threading.get_ident()}.tmp"
        final, meta = self.audio_path(key, fmt), self.folder / f"{key}.json"
        tmp_audio, tmp_meta = final.with_name(final.name + suffix), meta.with_name(meta.name + suffix)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._require_space(need_bytes)
            clip = make(tmp_audio)
            clip = clip.model_copy(update={"path": str(final), "key": key, "bytes": tmp_audio.stat().st_size})
            tmp_meta.write_text(clip.model_dump_json(), encoding="utf-8")
            os.replace(tmp_audio, final)
            os.replace(tmp_meta, meta)  # last: an entry exists only once both files are whole
        except OSError as exc:
            for path in (tmp_audio, tmp_meta):
                path.unlink(missing_ok=True)
            raise AudioCacheError(
                f"could not write audio to the cache at {self.folder}: {exc.strerror or exc}"
            ) from None
        except BaseException:
            for path in (tmp_audio, tmp_meta):
                path.unlink(missing_ok=True)
            raise
        return clip

    def _require_space(self, need_bytes: int) -> None:
        """Fail at once on a disk without room: the speech engines do not report a failed write
        (pyttsx3 just never finishes), so without this a full disk costs every engine's timeouts."""
        free = shutil.disk_usage(self.folder).free
        if free < need_bytes + _SPARE_BYTES:
            self._evict(keep="", room=need_bytes + _SPARE_BYTES - free)  # our own old audio first
            free = shutil.disk_usage(self.folder).free
        if free < need_bytes + _SPARE_BYTES:
            mb = 1024 * 1024
            raise AudioCacheError(
                f"no space left for audio in {self.folder}: {free / mb:.1f} MB free, "
                f"about {(need_bytes + _SPARE_BYTES) / mb:.1f} MB needed"
            )

    def _lock_for(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    @contextlib.contextmanager
    def _file_lock(self, name: str) -> Iterator[None]:
        """Held against other processes; when no lock file can be made (a full or read-only
        disk), the work goes on unlocked and the write itself reports the disk."""
        lock = FileLock(str(self.folder / _LOCKS / f"{name}.lock"), thread_local=False)
        try:
            (self.folder / _LOCKS).mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except OSError:
            yield
            return
        try:
            yield
        finally:
            lock.release()

    def entries(self) -> list[tuple[float, int, str, list[Path]]]:
        """(last used, bytes, key, files) of every complete entry."""
        out = []
        for meta in self.folder.glob("*.json"):
            key = meta.stem
            files = [meta, *(p for p in self.folder.glob(f"{key}.*") if p.suffix[1:] in set(AudioFormat))]
            try:
                size = sum(p.stat().st_size for p in files)
                out.append((meta.stat().st_mtime, size, key, files))
            except FileNotFoundError:
                continue  # evicted by another process meanwhile
        return out

    def size(self) -> int:
        return sum(e[1] for e in self.entries())

    def _evict(self, keep: str, room: int = 0) -> None:
        """Delete the least recently used entries until the cache is under its limit, and
        ``room`` bytes more have been freed. Under a file lock: processes evicting at once would
        each count the others' deletions as still there, and delete more than needed."""
        with self._file_lock("evict"):
            self._evict_locked(keep, room)

    def _evict_locked(self, keep: str, room: int) -> None:
        entries = sorted(self.entries())  # oldest use first
        total = sum(e[1] for e in entries)
        limit = min(self.max_bytes, total - room)
        for _used, size, key, files in entries:
            if total <= limit:
                break
            if key == keep:
                continue
            for path in files:
                path.unlink(missing_ok=True)
            total -= size
            log.info("audio cache: evicted %s (%d bytes)", key, size)
