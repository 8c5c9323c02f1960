"""One writer per embedded index folder: the lock (filelock) is shared inside a process, refused
to another process with a message naming the folder and the holder, and gone when its holder
dies, even by SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from assistant.errors import IndexInUse
from assistant.store import _FolderLock

HOLDER = """
import sys, time
from pathlib import Path
from assistant.store import _FolderLock
_FolderLock.acquire(Path(sys.argv[1]))
print("held", flush=True)
time.sleep(600)
"""


def _hold_in_another_process(folder) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_holders_in_one_process_share_the_lock_and_another_thread_may_release_it(tmp_path):
    first = _FolderLock.acquire(tmp_path / "chroma")
    second = _FolderLock.acquire(tmp_path / "chroma")
    assert first is second
    first.release()
    assert (tmp_path / "chroma").resolve() in _FolderLock._held  # one holder is left
    releaser = threading.Thread(target=second.release)  # the store may be closed from another thread
    releaser.start()
    releaser.join()
    assert (tmp_path / "chroma").resolve() not in _FolderLock._held
    proc = _hold_in_another_process(tmp_path / "chroma")  # really released: another process gets it
    proc.kill()
    proc.wait()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_another_process_is_refused_until_the_holder_is_killed(tmp_path):
    folder = tmp_path / "chroma"
    proc = _hold_in_another_process(folder)
    try:
        with pytest.raises(IndexInUse) as refused:
            _FolderLock.acquire(folder)
        message = str(refused.value)
        assert str(folder.resolve()) in message and f"in use by pid {proc.pid}" in message
        assert "ASSISTANT_CHROMA_HOST" in message
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    lock = _FolderLock.acquire(folder)  # the dead process left nothing held
    try:
        assert (folder / ".assistant.holder").read_text() == f"pid {os.getpid()}"
    finally:
        lock.release()
