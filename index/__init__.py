"""The write path: read sources, parse digest pages, cut passages, embed and upsert.

It depends on the core (``assistant``), never the other way round: ``ingest(assistant, sources)``.
"""

from index.pipeline import SAMPLE_DIR, ingest

__all__ = ["SAMPLE_DIR", "ingest"]
