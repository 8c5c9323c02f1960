"""The core: settings, domain model, retrieval, answers. Channels use :class:`Assistant`."""

import assistant.offline  # noqa: F401  (must run before chromadb/onnxruntime load)
from assistant.settings import Settings

__all__ = ["Assistant", "Settings"]


def __getattr__(name: str):
    # Lazy so that `from assistant.models import ...` stays cheap for the write path and tests.
    if name == "Assistant":
        from assistant.facade import Assistant

        return Assistant
    raise AttributeError(name)
