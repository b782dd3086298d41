"""What the report is made from: one object, read once from the pipeline's files.

:class:`ReportInputs` holds every input of a build (the config, the claims and
their advice, each family's per-seed summary, the figure files, the datasets'
metas, the jobs table, the rule graph, the failed configurations, the provenance)
as data; :func:`read_inputs` reads it from the files the ``render_report`` rule
names. Every later step takes this object instead of a long list of arguments.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bnstudy.claims.advice import conclusions
from bnstudy.claims.catalogue import claim_statement
from bnstudy.families import ordered_families
from bnstudy.io import read_table
from bnstudy.report.provenance import collect_provenance
from bnstudy.report.verdicts import evidence
from bnstudy.tables import failed_rows

#: The repository: its git revision is the report's code revision.
REPO_DIR = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ReportInputs:
    """Everything one build of the report reads, as data.

    ``datasets`` maps a dataset to its meta (``bnstudy.data.describe``: source, sizes,
    class names...); ``samples`` an image dataset to the SVG of its sample images;
    ``tables`` a family to the tables its figures draw on (default: the pipeline's
    ``results/metrics/<family>.csv`` and ``…_summary.csv``); ``jobs`` is the jobs table
    in workflow order (``bnstudy.report.jobs``) and ``jobs_figure`` the SVG drawn from
    it; ``rulegraph`` is (DOT text, SVG path) of the workflow's rule graph; ``failed``
    maps a family to its configurations whose training failed (``config_id``, ``error``);
    ``sweeps`` a family to its sweep table (``bnstudy.sweeps``: every configuration at
    every learning rate it trained, per seed), which the budget counts runs from.
    """

    config: Mapping  # the study's configuration as run
    claims: pd.DataFrame  # the claims table, with each claim's statement
    conclusions: list[dict]  # each judged claim's advice: {"claim", "verdict", "text"}
    summaries: dict[str, pd.DataFrame]  # family -> per-seed summary
    figures: dict[str, dict[str, str]]  # family -> {figure name: SVG path}
    provenance: dict  # ``provenance.collect_provenance``
    datasets: dict[str, dict] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[str]] = field(default_factory=dict)
    jobs: pd.DataFrame | None = None
    jobs_figure: str | None = None
    rulegraph: tuple[str, str] | None = None
    failed: dict[str, list[dict]] = field(default_factory=dict)
    sweeps: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def families(self) -> list[str]:
        """The families with runs, in report order: the study's, then the user's own."""
        return ordered_families(f for f, s in self.summaries.items() if not s.empty)


def advice_texts(claims: pd.DataFrame) -> list[dict]:
    """Each judged claim's advice for its verdict, with its numbers as the report prints
    them (the sentences are the claims' own: ``bnstudy.claims.advice``; the numbers the
    tuned reading's where there is one, ``verdicts.evidence``)."""
    return conclusions(claims, evidence)


def with_statements(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims table with each claim's statement ("" for a claim no longer defined)."""
    if "statement" in claims:
        return claims

    def statement(claim_id: str) -> str:
        try:
            return claim_statement(claim_id)
        except KeyError:
            return ""

    return claims.assign(statement=[statement(c) for c in claims["claim"]])


def figure_files(figures: Mapping[str, Mapping[str, str] | list[str]]) -> dict:
    """Family -> {figure name: path}; a list of paths is named by the files' stems."""
    return {
        fam: dict(paths) if isinstance(paths, Mapping) else {Path(p).stem: p for p in paths}
        for fam, paths in figures.items()
    }


def source_tables(summaries: Mapping[str, str]) -> dict[str, list[str]]:
    """Per family, the tables its figures draw on: the tidy table beside the summary."""
    tables = {}
    for fam, path in summaries.items():
        tidy = Path(str(path).removesuffix("_summary.csv") + ".csv")
        tables[fam] = [str(tidy), str(path)] if tidy.is_file() else [str(path)]
    return tables


def read_inputs(
    *,
    study: dict,
    claims_path,
    summaries: Mapping[str, str],
    figures: Mapping[str, Mapping[str, str] | list[str]],
    repo_dir=REPO_DIR,
    datasets_meta: Mapping[str, str] | None = None,
    samples: Mapping[str, str] | None = None,
    jobs: tuple[str, str] | None = None,
    rulegraph: tuple[str, str] | None = None,
    configfiles: list[str] | None = None,
    runs: Mapping[str, str] | None = None,
    sweeps: Mapping[str, str] | None = None,
) -> ReportInputs:
    """The report's inputs from the pipeline's files.

    ``summaries`` maps a family to its summary CSV; ``figures`` a family to
    ``{figure name: svg path}`` or to a list of SVG paths (named by their stems).
    ``datasets_meta`` maps a dataset to the JSON file of its meta; ``samples`` an image
    dataset to the SVG of its sample images; ``jobs`` is (jobs table CSV, its SVG) as
    the ``plot_job_resources`` rule writes them; ``rulegraph`` (DOT path, SVG path) the
    workflow's rule graph; ``configfiles`` the config files the study ran with (for the
    commands shown); ``runs`` maps a family to its runs table, whose failed
    configurations the report marks; ``sweeps`` a family to its sweep table.
    """
    claims = with_statements(read_table(claims_path))
    return ReportInputs(
        config=study,
        claims=claims,
        conclusions=advice_texts(claims),
        summaries={fam: read_table(path) for fam, path in summaries.items()},
        figures=figure_files(figures),
        provenance=collect_provenance(study, repo_dir, configfiles or []),
        datasets={
            ds: json.loads(Path(path).read_text(encoding="utf-8"))
            for ds, path in (datasets_meta or {}).items()
        },
        samples=dict(samples or {}),
        tables=source_tables(summaries),
        jobs=read_table(jobs[0]) if jobs else None,
        jobs_figure=str(jobs[1]) if jobs else None,
        rulegraph=(
            (Path(rulegraph[0]).read_text(encoding="utf-8"), str(rulegraph[1]))
            if rulegraph
            else None
        ),
        failed={fam: failed_rows(read_table(path)) for fam, path in (runs or {}).items()},
        sweeps={fam: read_table(path) for fam, path in (sweeps or {}).items()},
    )
