"""What a source becomes before parsing: its text, its kind and where it came from."""

from __future__ import annotations

from pydantic import BaseModel, Field

# A kind registered in ``index.registry``; built in: "text", "html", "wp-json", "jsonl".
DocumentKind = str


class SourceDocument(BaseModel):
    """One readable unit: a file, a downloaded page or one WordPress post."""

    name: str = Field(description="Path or URL, used in reports and error messages.")
    kind: DocumentKind = Field(description='A kind registered in index.registry: "text", "html", "wp-json", ...')
    content: str
    url: str | None = Field(None, description="The post's address when it is known.")
