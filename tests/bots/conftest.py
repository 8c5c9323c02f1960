"""A real `assistant web` process on 127.0.0.1 over a freshly ingested sample digest."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from assistant import Assistant
from tests.conftest import free_port, make_settings


@dataclass
class WebServer:
    url: str
    home: Path
    log: Path


def start_web(home: Path, log: Path, command: str = "web", **env_overrides: str) -> tuple[subprocess.Popen, str]:
    exe = shutil.which("assistant")
    assert exe, "the `assistant` console script is not installed (pip install -e .)"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "TELEGRAM_"))}
    env.update({"ASSISTANT_HOME": str(home), "ASSISTANT_WEB_PORT": str(port), **env_overrides})
    proc = subprocess.Popen([exe, command], stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, cwd=home.parent)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"assistant {command} exited: " + log.read_text()[-3000:])
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code in (200, 401):
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail("assistant web did not become healthy: " + log.read_text()[-3000:])


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def web_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    home = folder / "data"
    with Assistant(make_settings(home)) as a:  # ingest first, then hand the folder to the server process
        assert a.ingest().failed == 0
    proc, url = start_web(home, folder / "web.log")
    yield WebServer(url, home, folder / "web.log")
    stop(proc)
