"""Run a producer (reading and parsing sources) in a thread, a bounded number of items ahead
of its consumer (the embedding loop), so the model never waits on disk or network.

Hand-written because the standard library has no bounded, error-carrying prefetching
iterator and none of our dependencies offers one; it is the one queue in the write path.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_POLL_S = 0.1  # how often a blocked producer checks whether the consumer has gone


class _End:
    def __init__(self, error: BaseException | None):
        self.error = error


class Prefetched(Generic[T]):
    """Iterate ``items`` in a daemon thread, at most ``depth`` items ahead.

    An exception raised by ``items`` is raised again in the consumer, at the point the item
    would have come. When the consumer stops early (``close``, or leaving a ``with`` block),
    the producer stops at its next item instead of blocking on a full queue forever."""

    def __init__(self, items: Iterable[T], depth: int = 2, name: str = "prefetch"):
        self._queue: queue.Queue[T | _End] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, args=(items,), name=name, daemon=True)
        self._thread.start()

    def _put(self, item: T | _End) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _fill(self, items: Iterable[T]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as exc:  # carried to the consumer, which decides what it means
            self._put(_End(exc))
            return
        self._put(_End(None))

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if isinstance(item, _End):
                self._thread.join()
                if item.error is not None:
                    raise item.error
                return
            yield item

    def close(self) -> None:
        self._stop.set()

    def __enter__(self) -> Prefetched[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
