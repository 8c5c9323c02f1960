"""The write path: read sources, parse digest pages, cut passages, embed and upsert."""
