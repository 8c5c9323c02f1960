"""Consuming an answer stream: text deltas, then exactly one final ``Answer``.

Every reader of ``Assistant.ask_stream``/``aask_stream`` (the facade's ``ask``, each channel,
the evals) goes through these two functions, so the rule "the final Answer is the authority,
and a stream without one is a bug" is written once. It lives in the core, not in the channels'
common layer, because the facade itself needs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator

from assistant.models import Answer

AnswerItem = str | Answer


class StreamEndedWithoutAnswer(RuntimeError):
    """The stream stopped before its final Answer: a bug in an answerer, never the user's fault."""

    def __init__(self) -> None:
        super().__init__("the answer stream ended without an Answer")


class Deltas:
    """Iterate for the text deltas; ``answer`` holds the final Answer once iteration ends.
    For consumers that are generators themselves (Gradio's streaming handlers)."""

    def __init__(self, items: Iterable[AnswerItem]):
        self._items = items
        self.answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        for item in self._items:
            if isinstance(item, Answer):
                self.answer = item
                return
            yield item
        raise StreamEndedWithoutAnswer()


def final_answer(items: Iterable[AnswerItem], on_delta: Callable[[str], None] | None = None) -> Answer:
    """The final Answer; ``on_delta`` sees each text delta before it (to show the answer being written)."""
    stream = Deltas(items)
    for delta in stream:
        if on_delta is not None:
            on_delta(delta)
    assert stream.answer is not None  # Deltas raises when the stream ends without one
    return stream.answer


async def afinal_answer(
    items: AsyncIterator[AnswerItem], on_delta: Callable[[str], Awaitable[None]] | None = None
) -> Answer:
    """``final_answer`` for event loops: ``on_delta`` is awaited for each delta."""
    async for item in items:
        if isinstance(item, Answer):
            return item
        if on_delta is not None:
            await on_delta(item)
    raise StreamEndedWithoutAnswer()
