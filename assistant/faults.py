"""Named crash points for the fault-injection tests: with ``ASSISTANT_FAULT=<name>`` in the
environment, the process dies at that point as a ``kill -9`` would (no cleanup, no flush), so a
test can check that a rerun recovers. Unset, a point costs one dictionary lookup.

It reads the environment directly rather than the settings object on purpose: it is a test
harness, not a setting anyone should turn on.
"""

from __future__ import annotations

import os

CRASH_EXIT_CODE = 86


def fault_point(name: str) -> None:
    if os.environ.get("ASSISTANT_FAULT") == name:
        os._exit(CRASH_EXIT_CODE)
