"""Stand-ins for the services the assistant talks to, as real HTTP servers on loopback."""

from __future__ import annotations

import json
import signal
import threading
from typing import Any


def serve_until_signalled(server: Any) -> int:
    """What ``python -m tests.fakes.<stand-in>`` does once its server is started: print where it
    listens (one JSON line, read by evals/soak_services.py), then serve until SIGTERM or SIGINT."""
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print(json.dumps({"port": server.port, "base_url": server.base_url}), flush=True)
    done.wait()
    server.stop()
    return 0
