"""Many strings as two plain arrays, UTF-8 bytes and offsets, so a saved copy is memory-mapped
and one string is read without loading the rest (numpy has no such ragged type; pyarrow would
add a 40 MB dependency for this one use)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class TextColumn:
    def __init__(self, data: np.ndarray, ptr: np.ndarray):
        self.data, self.ptr = data, ptr  # uint8 bytes; int64 offsets, one more than strings

    @classmethod
    def build(cls, texts: Sequence[str]) -> TextColumn:
        encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
        ptr = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=ptr[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), ptr)

    def __len__(self) -> int:
        return len(self.ptr) - 1

    def __getitem__(self, i: int) -> str:
        return bytes(self.data[self.ptr[i] : self.ptr[i + 1]]).decode("utf-8", "surrogatepass")
