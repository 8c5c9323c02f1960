"""The web chat: a Gradio page and a small HTTP API in one FastAPI app (`assistant web`)."""
