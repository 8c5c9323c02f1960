"""Shared fixtures: isolated settings, one ingested sample index, a real Chroma server."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

import assistant.offline  # noqa: F401
from assistant import Assistant
from assistant import chroma_server as chroma_server_process
from assistant.chroma_server import free_port  # noqa: F401 - tests import it from here
from bots.settings import AppSettings
from index import ingest

SEED_QUESTION = "What do leaders do that impedes mastery?"
SEED_ARTICLE_ID = "w373-building-mastery-what-leaders-do-that-helps-or-impedes"


def make_settings(home: Path, **overrides) -> AppSettings:
    """Settings (with every channel's section) that ignore the developer's .env and environment-specific folders."""
    values = {"home": home, "http_delay": 0.0, "http_retries": 1, "keyword_refresh_seconds": 0.0}
    values.update(overrides)
    return AppSettings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Every test stays on this machine: a connection beyond loopback (a model or tokenizer
    download, telemetry, Telegram's real servers) fails the test that made it."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"test blocked a network connection to {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield attempts
    assert not attempts, f"network access attempted: {attempts}"


@pytest.fixture
def settings(tmp_path) -> AppSettings:
    return make_settings(tmp_path / "home")


@pytest.fixture(scope="session")
def sample_assistant(tmp_path_factory):
    """The bundled sample digest, ingested once for the read-only tests."""
    home = tmp_path_factory.mktemp("sample-home")
    with Assistant(make_settings(home)) as a:
        report = ingest(a)
        assert report.failed == 0, report.errors
        yield a


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` on 127.0.0.1; yields (host, port)."""
    try:
        server = chroma_server_process.start(tmp_path_factory.mktemp("chroma-server"))
    except chroma_server_process.ChromaServerError as exc:
        pytest.fail(str(exc))
    yield server.host, server.port
    server.stop()


@pytest.fixture
def small_disk(tmp_path):
    """A real 3 MB tmpfs, for full-disk tests (CI runs as root; elsewhere they skip)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)
