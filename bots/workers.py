"""`assistant web/serve --workers N`: N web worker processes behind one port, over one Chroma server.

The parent process holds no Assistant. It
1. starts a Chroma server (`chroma run`, assistant/chroma_server.py) on 127.0.0.1 over the
   embedded index folder when ASSISTANT_CHROMA_HOST is unset, and holds that folder's lock, so
   an embedded `assistant ingest` elsewhere is refused with the server's address instead of
   writing beside it;
2. starts the workers, each a plain web channel (``python -m bots.workers K COMMAND``) on a
   private port of 127.0.0.1, connected to the server. Worker 0 of `serve` runs the other
   channels too, so there is exactly one Telegram poller (two getUpdates on one token conflict),
   and only it warms the audio cache; the cache folder is shared (assistant/speech/cache.py locks
   across processes);
3. serves the public port with the front (bots/web/front.py), which keeps each browser session
   on one worker;
4. on SIGINT/SIGTERM stops the front, then the workers, then the Chroma server. If a worker or
   the server dies, everything stops and the command fails, for a process manager to restart.
   If the parent itself is killed (SIGKILL), Linux sends its children SIGTERM (PR_SET_PDEATHSIG):
   no worker keeps the port, and no Chroma server the index folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import httpx

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.chroma_server import ChromaServer
    from bots.settings import AppSettings

log = logging.getLogger(__name__)
START_TIMEOUT = 300.0  # seconds for every worker to answer /healthz (N cold starts share the CPU)
STOP_TIMEOUT = 30.0  # seconds a worker gets after SIGTERM before SIGKILL


class WorkersFailed(AssistantError):
    """A worker or the Chroma server could not start, or stopped on its own."""


async def serve_workers(settings: AppSettings, workers: int, command: str) -> None:
    """Run ``workers`` web workers (of `assistant <command>`: web or serve) behind the front
    until SIGINT or SIGTERM."""
    from assistant.chroma_server import dies_with_parent, free_port
    from bots.web.front import Front

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # as in bots/host.py
            loop.add_signal_handler(sig, stop.set)
    # glibc gives every thread that allocates its own heap (up to 8 per core), and a web worker
    # answers on many threads: over the 20,000-article bench index, 2 heaps left the workers and
    # the Chroma server about a quarter smaller, though runs vary (docs/scaling.md). Inherited by
    # both; a value the user set stays.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    env = {**os.environ, "ASSISTANT_WEB_HOST": "127.0.0.1", "ASSISTANT_WEB_WORKERS": "1"}
    folder_lock = chroma = front = None
    procs: list[subprocess.Popen] = []
    try:
        if not settings.storage.chroma_host:
            # On this thread, not a worker thread: the server is to die with the process (and so
            # with the thread that started it), never outlive it on the index folder.
            folder_lock, chroma = _own_chroma(settings, workers, command)
            env.update(ASSISTANT_CHROMA_HOST=chroma.host, ASSISTANT_CHROMA_PORT=str(chroma.port))
            env.pop("ASSISTANT_CHROMA_SSL", None)
        ports = [free_port() for _ in range(workers)]
        level = logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower()
        for k, port in enumerate(ports):
            worker_env = {**env, "ASSISTANT_WEB_PORT": str(port)}
            if k > 0:  # one worker warms the shared audio cache; the others would wait on its locks
                worker_env["ASSISTANT_WEB_WARM_AUDIO"] = "false"
            argv = [sys.executable, "-m", "bots.workers", str(k), command if k == 0 else "web", level]
            procs.append(subprocess.Popen(argv, env=worker_env, preexec_fn=dies_with_parent()))
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        exits = [asyncio.ensure_future(asyncio.to_thread(p.wait)) for p in procs]
        if chroma is not None:
            exits.append(asyncio.ensure_future(asyncio.to_thread(chroma.process.wait)))
        if not await _healthy(urls, exits, stop):
            return  # asked to stop while starting
        front = Front(urls, settings.web.max_request_bytes)
        server = _front_server(front, settings)
        serving = asyncio.ensure_future(server.serve())
        while not server.started:
            if serving.done():
                raise WorkersFailed(f"could not listen on {settings.web.host}:{settings.web.port}")
            await asyncio.sleep(0.02)
        log.info("web chat on http://%s:%d/ with %d workers", settings.web.host, settings.web.port, workers)
        stopping = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait([stopping, serving, *exits], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        server.should_exit = True
        await serving
        if stopping not in done:
            died = [k for k, p in enumerate(procs) if p.poll() is not None]
            what = (
                f"worker {died[0]} exited with code {procs[died[0]].returncode}" if died else "the Chroma server exited"
            )
            raise WorkersFailed(f"{what}; stopping the web chat")
    finally:
        await asyncio.to_thread(_stop_all, procs)
        if front is not None:
            await front.aclose()
        if chroma is not None:
            await asyncio.to_thread(chroma.stop)
        if folder_lock is not None:
            folder_lock.release()


def _own_chroma(settings: AppSettings, workers: int, command: str) -> tuple[object, ChromaServer]:
    """The index folder's lock, and a Chroma server over that folder."""
    from assistant.chroma_server import ChromaServerError, start
    from assistant.store import _FolderLock  # the embedded store's own lock, so its refusal names us

    folder = settings.storage.chroma_dir
    lock = _FolderLock.acquire(folder)
    try:
        server = start(settings.storage.home / "chroma-server", data=folder, die_with_parent=True)
    except ChromaServerError as exc:
        lock.release()
        raise WorkersFailed(str(exc)) from None
    with contextlib.suppress(OSError):  # what an embedded process that is refused is told
        (folder.resolve() / ".assistant.holder").write_text(
            f"`assistant {command} --workers {workers}` (pid {os.getpid()}), whose Chroma server is on "
            f"{server.host}:{server.port}",
            encoding="utf-8",
        )
    log.info(
        "Chroma server over %s on %s:%d (ingest through it: ASSISTANT_CHROMA_HOST=%s ASSISTANT_CHROMA_PORT=%d)",
        folder,
        server.host,
        server.port,
        server.host,
        server.port,
    )
    return lock, server


async def _healthy(urls: list[str], exits: list[asyncio.Future], stop: asyncio.Event) -> bool:
    """True once every worker answers /healthz; False if asked to stop first; raises if one dies."""
    waiting = set(range(len(urls)))
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=2) as client:
        while waiting:
            if stop.is_set():
                return False
            if any(e.done() for e in exits):
                raise WorkersFailed("a web worker or the Chroma server exited while starting (see the log above)")
            if time.monotonic() > deadline:
                raise WorkersFailed(f"the web workers did not start within {START_TIMEOUT:.0f} s")
            for k in list(waiting):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(urls[k] + "/healthz")).status_code == 200:
                        waiting.discard(k)
            await asyncio.sleep(0.2)
    return True


def _stop_all(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to every worker at once, then wait; SIGKILL for one that outlives STOP_TIMEOUT."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("worker pid %d did not stop within %.0f s: killing it", proc.pid, STOP_TIMEOUT)
            proc.kill()
            proc.wait()


def _front_server(front, settings: AppSettings):
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self):
            yield  # serve_workers owns SIGINT/SIGTERM

    return Server(
        uvicorn.Config(
            front,
            host=settings.web.host,
            port=settings.web.port,
            lifespan="off",
            log_config=None,
            log_level=None,
            access_log=False,  # each worker logs the requests it serves
            proxy_headers=False,
            server_header=False,
            date_header=False,  # the worker's goes through
            timeout_graceful_shutdown=5,
        )
    )


def _worker(index: int, command: str, level: str) -> int:
    """One worker: the channels of `assistant <command>` (web, or serve for worker 0) on the port
    and Chroma server its environment names, its log lines marked with its number."""
    from bots import logs
    from bots.host import serve
    from bots.settings import AppSettings

    logs.configure(logs.LogLevel(level) if level in set(logs.LogLevel) else None, long_running=True)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(logging.Formatter(logs.FORMAT.replace("%(name)s", f"worker-{index} %(name)s")))
    try:
        asyncio.run(serve(AppSettings(), ["web"] if command == "web" else None))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(_worker(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
