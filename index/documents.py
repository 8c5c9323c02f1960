"""What a source becomes before parsing: its text, its kind and where it came from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

DocumentKind = Literal["text", "html", "wp-json", "jsonl"]


class SourceDocument(BaseModel):
    """One readable unit: a file, a downloaded page or one WordPress post."""

    name: str = Field(description="Path or URL, used in reports and error messages.")
    kind: DocumentKind
    content: str
    url: str | None = Field(None, description="The post's address when it is known.")
