"""The template's context: every section built, numbered and cross-referenced.

:func:`build_context` reads the inputs once into what several sections share
(:func:`shared`: each family's runs and aggregates, the claims' rows, citation
labels, …), numbers the outline, then calls one builder per section in reading
order, so that figures are numbered as the reader meets them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bnstudy.claims.learning import learned_counts as count_learned
from bnstudy.families import FAMILIES
from bnstudy.report.fmt import CI, POWER_LABEL, fmt_duration
from bnstudy.report.inputs import ReportInputs
from bnstudy.report.jobs import jobs_context
from bnstudy.report.numbers import family_grid, family_runs, n_seeds
from bnstudy.report.outline import FigureIndex, cross_references, number_sections
from bnstudy.report.prose import TITLE
from bnstudy.report.provenance import snakemake_prefix
from bnstudy.report.sections.advice import claim_rows, claims, limitations, strategy
from bnstudy.report.sections.back import appendix, changes
from bnstudy.report.sections.front import (
    abstract,
    citation_labels,
    cited,
    introduction,
    references,
    setup,
)
from bnstudy.report.sections.methods import budget, methods
from bnstudy.report.sections.reproduction import reproduction_section
from bnstudy.report.sections.results import family_title, results
from bnstudy.report.sections.shared import Shared

#: Where the snapshot of the last build lives, as the report names it by default.
SNAPSHOT = "results/report/last_build"


def learned_text(counts: pd.DataFrame) -> dict[str, str]:
    """Family -> "12 of 15 runs learned" from ``claims.learning.learned_counts``' table
    (columns family, learned, runs, unknown: runs that recorded no reference to tell).

    >>> learned_text(pd.DataFrame({"family": ["depth", "lr", "old"], "learned": [35, 4, 0],
    ...                            "runs": [36, 6, 3], "unknown": [0, 2, 3]}))
    {'depth': '35 of 36 runs learned', 'lr': '4 of 6 runs learned (2 could not tell)'}
    """
    out = {}
    for row in counts.to_dict("records"):
        if int(row["unknown"]) == int(row["runs"]):
            continue  # runs from before "did it learn?" was recorded: nothing to say
        text = f"{int(row['learned'])} of {int(row['runs'])} runs learned"
        if row.get("unknown"):
            text += f" ({int(row['unknown'])} could not tell)"
        out[str(row["family"])] = text
    return out


def learned_counts(inputs: ReportInputs) -> dict[str, str]:
    """How many runs of each family learned, as the claims package counts them."""
    return learned_text(count_learned({f: inputs.summaries[f] for f in inputs.families}))


def shared(inputs: ReportInputs) -> Shared:
    """What several sections print alike, computed once."""
    families = inputs.families
    runs = {f: family_runs(f, inputs.summaries[f], inputs.figures.get(f, {})) for f in families}
    total = float(
        sum(np.nansum(s["wall_time"].to_numpy(dtype=float)) for s in inputs.summaries.values())
    )
    prov = inputs.provenance
    return Shared(
        runs=runs,
        known=[f for f in families if f in FAMILIES],
        grids={f: family_grid(r) for f, r in runs.items()},
        claims=claim_rows(inputs.claims, families),
        advice={str(c["claim"]): str(c["text"]) for c in inputs.conclusions},
        refs=citation_labels(cited(inputs.datasets)),
        seeds=" or ".join(sorted({n_seeds(inputs.summaries[f]) for f in families})),
        compute={"text": fmt_duration(total), "seconds": repr(total)},
        jobs=jobs_context(inputs.jobs),
        prefix=snakemake_prefix(prov.get("configfiles") or []),
        revision=str(prov.get("code_revision", "unknown")),
        learned=learned_counts(inputs),
    )


def title(config: Mapping) -> str:
    """The report's title: the config's ``report.title``, else the study's."""
    if not isinstance(config, Mapping):
        return TITLE
    return (config.get("report") or {}).get("title", TITLE)


def build_context(inputs: ReportInputs, diff: dict | None = None, snapshot: str = SNAPSHOT) -> dict:
    """Everything the template shows, with every number already computed and formatted.

    ``diff`` is ``changes.compare``'s result (None: a first build) against the snapshot
    in folder ``snapshot``.
    """
    common = shared(inputs)
    toc = number_sections([(f, family_title(f)) for f in common.families])
    xrefs = cross_references(toc)
    figures = FigureIndex()
    # In reading order: a figure's number is its place in the document.
    sections = {
        "abstract": abstract(inputs, common),
        "introduction": introduction(inputs, common),
        "setup": setup(inputs, common, figures),
        "methods": methods(inputs, common),
        "budget": budget(inputs, common),
        "results": results(inputs, common, figures, xrefs),
        "reproduction": reproduction_section(inputs, common, figures),
        "claims": claims(common),
        "strategy": strategy(common),
        "limitations": limitations(inputs, common),
        "changes": changes(diff, snapshot),
        "references": references(inputs, common),
        "appendix": appendix(inputs, common, figures),
    }
    return {
        "title": title(inputs.config),
        "confidence": CI,
        "power": POWER_LABEL,
        "build": {
            "code_revision": common.revision,
            "generated": sections["appendix"]["generated"],
        },
        "toc": toc,
        "xrefs": xrefs,
        "sections": sections,
        "figure_index": figures.entries,
    }
