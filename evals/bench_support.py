"""What every benchmark in evals/ shares: the machine and code it ran on, percentiles, peak
memory and disk use, and timing a command in its own process. (Free ports and the Chroma
server: ``assistant.chroma_server``.)"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

from pydantic import BaseModel, Field


class Machine(BaseModel):
    cpus: int = Field(description="CPUs this process may run on (nproc).")
    cpu_model: str
    memory_gb: float
    python: str
    platform: str
    packages: dict[str, str] = Field(default_factory=dict)


def load_avg() -> float:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):  # no getloadavg on Windows
        return float("nan")


def percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p95; every benchmark in evals/ reports these two."""
    import numpy as np

    p50, p95 = np.percentile(np.asarray(values, dtype=float), [50, 95])
    return float(p50), float(p95)


def maxrss_mb(usage) -> float:
    """ru_maxrss (a resource usage, or the number itself) in MB: Linux counts kilobytes, macOS bytes."""
    value = usage if isinstance(usage, (int, float)) else usage.ru_maxrss
    return value * (1 if sys.platform == "darwin" else 1024) / 1e6


def own_peak_rss_mb() -> float:
    """This process's peak RSS in MB; NaN where there is no ``resource`` module (Windows)."""
    try:
        import resource
    except ImportError:
        return float("nan")
    return maxrss_mb(resource.getrusage(resource.RUSAGE_SELF))


def disk_bytes(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += st.st_blocks * 512
    return total


def code_version() -> str:
    """ "c9e0a74", or "c9e0a74 + uncommitted changes" when the project's code (not evals/ or
    tests/) differs from that commit."""
    root = Path(__file__).resolve().parents[1]
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        # Changes to the benchmark and tests themselves do not change what is measured.
        status = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!evals",
                ":!tests",
                ":!*.md",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if rev.returncode != 0:
        return "unknown"
    return rev.stdout.strip() + (" + uncommitted changes" if status.stdout.strip() else "")


def machine_info() -> Machine:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    model, mem_gb = platform.processor() or "unknown", 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    packages = {}
    for name in ("chromadb", "onnxruntime", "bm25s", "llama-index-core", "tokenizers", "numpy"):
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return Machine(
        cpus=cpus,
        cpu_model=model,
        memory_gb=round(mem_gb, 1),
        python=platform.python_version(),
        platform=platform.platform(),
        packages=packages,
    )


# Runs the command and reports its wall time and peak RSS. Needed because Linux carries a
# process's RSS high-water mark across exec: a child forked from a big measuring process
# would report the measuring process's RSS, not its own. Forked from this small launcher,
# the command's ru_maxrss is its own.
_LAUNCHER = """
import json, os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(p.pid, 0)
seconds = time.perf_counter() - t
with open(sys.argv[1], "w") as fh:
    json.dump({"seconds": seconds, "maxrss_kb": usage.ru_maxrss, "code": os.waitstatus_to_exitcode(status)}, fh)
"""


def timed_command(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, str]:
    """Run ``command`` in ``cwd``; wall seconds, its own peak RSS (MB), exit code, and stderr's tail."""
    stats = cwd / "timed-command.json"
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(stats), *command], env=env, cwd=cwd, capture_output=True
    )
    try:
        got = json.loads(stats.read_text())
    except (OSError, ValueError):
        got = {"code": done.returncode, "seconds": float("nan"), "maxrss_kb": 0}
    code = done.returncode or got.get("code", 0)
    tail = (done.stderr or done.stdout).decode(errors="replace")[-2000:]
    return float(got["seconds"]), maxrss_mb(got["maxrss_kb"]), code, tail


def process_peak_rss_mb(pid: int) -> float:
    """Peak RSS (VmHWM) of another running process, e.g. a server the benchmark started."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return float("nan")


def assistant_command() -> list[str]:
    """The `assistant` console script beside this Python, else on PATH, else the module."""
    import shutil

    beside = Path(sys.executable).with_name("assistant")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("assistant")
    return [found] if found else [sys.executable, "-m", "bots.cli"]


def run_assistant_command(*args: str) -> NoReturn:
    """Become `assistant ARGS` in this checkout (``python -m evals.bench ...`` is ``assistant bench
    ...``), so an eval's command line and its defaults are defined once, in ``bots/cli_evals.py``.
    A new process rather than an import: evals does not import the channels it measures."""
    os.execv(sys.executable, [sys.executable, "-c", "from bots.cli import app; app(prog_name='assistant')", *args])
