"""A real `assistant web` process on 127.0.0.1 over a freshly ingested sample digest."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant import Assistant
from evals import web_bench
from index import ingest
from tests.conftest import make_settings


@dataclass
class WebServer:
    url: str
    home: Path
    log: Path


def start_web(home: Path, log: Path, command: str = "web", **env_overrides: str) -> tuple[subprocess.Popen, str]:
    try:
        proc, url, _seconds = web_bench.start(home, log, command, **env_overrides)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    return proc, url


stop = web_bench.stop


@pytest.fixture(scope="session")
def web_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    home = folder / "data"
    with Assistant(make_settings(home)) as a:  # ingest first, then hand the folder to the server process
        assert ingest(a).failed == 0
    proc, url = start_web(home, folder / "web.log")
    yield WebServer(url, home, folder / "web.log")
    stop(proc)
