"""What several sections print alike, computed once before any section is built."""

from __future__ import annotations

from dataclasses import dataclass

from bnstudy.report.numbers import FamilyRuns


@dataclass(frozen=True)
class Shared:
    """The study as every section sees it (``context.shared`` builds it once)."""

    runs: dict[str, FamilyRuns]  # each family's runs, in report order
    known: list[str]  # the study's own families among them, in study order
    grids: dict[str, dict]  # family -> what it ran (``numbers.family_grid``)
    claims: list[dict]  # one row per claim, formatted (``advice.claim_rows``)
    advice: dict[str, str]  # claim -> its advice sentence for its verdict
    refs: dict[str, str]  # reference key -> citation label, "[1]"
    seeds: str  # seeds per configuration: "3", "2 or 3"
    compute: dict  # total training time: {"text": "1.2 s", "seconds": "1.2"}
    jobs: dict | None  # the workflow's jobs (``jobs.jobs_context``); None without any
    prefix: str  # the start of a command that reruns part of this study
    revision: str  # the code revision of this build
    learned: dict[str, str]  # family -> how many of its runs learned, in words

    @property
    def families(self) -> list[str]:
        return list(self.runs)
