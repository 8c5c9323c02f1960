"""What the speed benchmark measures and saves (``evals/results/bench.json``), and its targets:
the types that the runner (``evals.bench``), the report (``evals.bench_report``) and the plots
(``evals.plots``) share. It imports none of them, so their imports point one way."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from evals.bench_support import Machine
from evals.bench_systems import System, SystemResult, VectorMode
from evals.speech_bench import SpeechBench


class SizeRun(BaseModel):
    articles: int
    corpus_mb: float
    vectors: VectorMode
    systems: list[SystemResult]

    def get(self, system: System) -> SystemResult | None:
        return next((s for s in self.systems if s.system == system), None)


class BenchResult(BaseModel):
    date: str
    code: str = Field("unknown", description="The project's git commit, and whether tracked files had changes.")
    machine: Machine
    queries: int
    seed: int
    embed_up_to: int
    settings: dict[str, object]
    sizes: list[SizeRun]
    speech: SpeechBench | None = Field(None, description="evals.speech_bench's result, when the run included speech.")


class Target(BaseModel):
    articles: int
    field: str
    label: str
    op: Literal["<=", ">="]
    value: float
    unit: str

    def met(self, measured: float) -> bool:
        return measured <= self.value if self.op == "<=" else measured >= self.value


TARGETS = [
    Target(articles=5000, field="search_p50_ms", label="search p50", op="<=", value=20, unit="ms"),
    Target(articles=5000, field="search_p95_ms", label="search p95", op="<=", value=50, unit="ms"),
    Target(articles=20000, field="search_p95_ms", label="search p95", op="<=", value=50, unit="ms"),
    Target(articles=100000, field="search_p95_ms", label="search p95", op="<=", value=150, unit="ms"),
    Target(articles=5000, field="ask_p50_ms", label="extractive ask p50", op="<=", value=100, unit="ms"),
    Target(
        articles=5000, field="cold_ingest_articles_per_s", label="cold ingest", op=">=", value=25, unit="articles/s"
    ),
    Target(
        articles=5000,
        field="reingest_articles_per_s",
        label="unchanged re-ingest",
        op=">=",
        value=1000,
        unit="articles/s",
    ),
    Target(articles=5000, field="cold_ask_s", label="cold `assistant ask`", op="<=", value=3, unit="s"),
]
INGEST_SPEEDUP_TARGET = 2.0  # cold ingest against the plain pipeline, where both embed for real
