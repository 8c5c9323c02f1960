"""A real Chroma server (`chroma run`) on 127.0.0.1 in a child process, and free local ports.

The speed benchmark and the tests start one. It lives in the product, not in evals/ or tests/,
because starting a server for users (several worker processes over one index) is the next use.
Nothing here imports the rest of the product.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx


class ChromaServerError(RuntimeError):
    pass


def free_port() -> int:
    """A free TCP port on 127.0.0.1, for a server about to be started."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dies_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the child sent SIGTERM when this process dies, even by SIGKILL
    (Linux's PR_SET_PDEATHSIG), so no server outlives the command that owns it; None elsewhere.
    Only from the thread that lives as long as the process: the signal follows the parent thread."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: the child only calls it
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return preexec


@dataclass
class ChromaServer:
    host: str
    port: int
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(
    folder: Path, timeout: float = 60.0, *, data: Path | None = None, die_with_parent: bool = False
) -> ChromaServer:
    """Start `chroma run` with its log in ``folder`` and its data in ``data`` (default ``folder``/db);
    returns once its heartbeat answers. ``data`` may be an embedded store's folder: the server
    reads and writes the same files a PersistentClient does, for as many clients as connect.
    ``die_with_parent``: see ``dies_with_parent`` (call from the main thread then)."""
    exe = shutil.which("chroma")
    if exe is None:
        raise ChromaServerError("the `chroma` command (installed with chromadb) is missing")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "server.log"
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [exe, "run", "--path", str(data or folder / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=dies_with_parent() if die_with_parent else None,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return ChromaServer("127.0.0.1", port, proc, log)
        except httpx.HTTPError:
            time.sleep(0.2)
    server = ChromaServer("127.0.0.1", port, proc, log)
    server.stop()
    raise ChromaServerError("the Chroma server did not start: " + log.read_text(errors="replace")[-2000:])
