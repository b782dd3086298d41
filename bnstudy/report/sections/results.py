"""The Results section: one subsection per experiment family — its question, its claims'
verdicts with their advice, the literature's numbers, its figures with their key numbers
and provenance, and the table of numbers behind them."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bnstudy.claims.verdict import CONTRADICTED, INCONCLUSIVE, NOT_RUN, SUPPORTED
from bnstudy.families import FAMILIES
from bnstudy.figures.captions import figure_caption
from bnstudy.report.budget import batch_steps
from bnstudy.report.fmt import display_path, fmt, fmt_duration, fmt_param, fmt_seeds
from bnstudy.report.inputs import ReportInputs
from bnstudy.report.literature import literature_note
from bnstudy.report.numbers import family_table, figure_numbers
from bnstudy.report.outline import FigureIndex, family_anchor, figure_range
from bnstudy.report.reproduction import FIGURE as REPRODUCTION_FIGURE
from bnstudy.report.reproduction import REPRODUCED
from bnstudy.report.sections.shared import Shared


def family_title(family: str) -> str:
    """A family's section title: the study's words, or its name."""
    return FAMILIES[family].title if family in FAMILIES else family


def pipeline_tables(family: str) -> list[str]:
    """The tables a family's figures draw on, as the pipeline names them."""
    return [f"results/metrics/{family}.csv", f"results/metrics/{family}_summary.csv"]


def family_text(family: str, config: Mapping, grid: dict) -> str:
    """The question a family asks: the study's words, the config's, or its grid."""
    if family in FAMILIES:
        return FAMILIES[family].description
    blocks = config.get("families") if isinstance(config, Mapping) else None
    block = blocks.get(family) if isinstance(blocks, Mapping) else None
    if isinstance(block, Mapping) and block.get("description"):
        return str(block["description"]).strip()
    axes = " × ".join(name for name, _ in grid["varying"]) or "a single configuration"
    return f"A family of this configuration's own: {grid['model']} on {grid['dataset']}, {axes}."


def figure_entry(
    fam: str, name: str, path: str, inputs: ReportInputs, shared: Shared, figures: FigureIndex
) -> dict:
    """Figure ``name`` of family ``fam``, numbered next, with its caption, key numbers and
    the command that regenerates just it."""
    runs, grid = shared.runs[fam], shared.grids[fam]
    sources = list(inputs.tables.get(fam) or pipeline_tables(fam))
    caption = figure_caption(fam, name, inputs.summaries[fam])
    numbers = figure_numbers(runs, name)
    provenance = {
        "command": f"{shared.prefix} --force {display_path(path)}",
        "inputs": [display_path(p) for p in sources],
        "configs": (
            f"{grid['n_configs']} configurations: "
            f"results/runs/{fam}/<configuration>/config.json (config key families.{fam})"
        ),
        "code": f"bnstudy/figures/ at revision {shared.revision}",
    }
    return figures.add(f"fig-{fam}-{name}", path, f"{caption} {numbers}".strip(), provenance)


def family_figures(fam: str, inputs: ReportInputs, shared: Shared, figures: FigureIndex):
    """The family's figures, numbered next (the reproduction's own figure is shown in the
    reproduction section instead)."""
    return [
        figure_entry(fam, name, path, inputs, shared, figures)
        for name, path in inputs.figures.get(fam, {}).items()
        if (fam, name) != (REPRODUCED, REPRODUCTION_FIGURE)
    ]


def steps_note(fam: str, inputs: ReportInputs) -> str:
    """For a family whose batch size varies: how many optimizer steps each batch size
    takes, since every configuration trains the same number of epochs."""
    summary = inputs.summaries[fam]
    if "batch_size" not in summary or summary["batch_size"].nunique() < 2:
        return ""
    steps = batch_steps(summary, inputs.datasets)
    if not steps or not all(np.isfinite(n) for _, n in steps):
        return ""
    epochs = ", ".join(fmt_param(e) for e in sorted(summary["epochs"].unique()))
    cells = "; ".join(f"batch {fmt_param(b)}: {n:,.0f}" for b, n in steps)
    ratio = steps[0][1] / steps[-1][1]
    return (
        f"Every configuration trains {epochs} epochs, so a smaller batch takes more optimizer "
        f"steps: per run, {cells} — {fmt(ratio)}× as many steps at the smallest batch as at "
        "the largest. A gain or loss at small batches mixes the batch size with the number "
        "of steps."
    )


def family_section(
    fam: str, inputs: ReportInputs, shared: Shared, figures: FigureIndex, number: str
) -> dict:
    """One family's subsection of the results."""
    runs, grid = shared.runs[fam], shared.grids[fam]
    judged = [
        {**c, "advice": shared.advice.get(c["claim"], "")}
        for c in shared.claims
        if c["family"] == fam and c["verdict"] != NOT_RUN
    ]
    figs = family_figures(fam, inputs, shared, figures)
    return {
        "family": fam,
        "anchor": family_anchor(fam),
        "number": number,
        "title": family_title(fam),
        "text": family_text(fam, inputs.config, grid),
        "grid": grid,
        "figures": figs,
        "figure_range": figure_range(figs),
        "table": family_table(runs),
        "judged": judged,
        "counts": {
            v: sum(c["final"]["verdict"] == v for c in judged)
            for v in (SUPPORTED, CONTRADICTED, INCONCLUSIVE)
        },
        "n_tuned": sum(c["tuned"] is not None for c in judged),
        "literature": literature_note(fam, runs.summary, shared.refs),
        "compute": fmt_duration(float(np.nansum(runs.summary["wall_time"]))),
        "failed": list(inputs.failed.get(fam, [])),
        "steps_note": steps_note(fam, inputs),
        "reproduced": fam == REPRODUCED,
        "seeds": fmt_seeds(runs.summary["seed"]),
        "learned": shared.learned.get(fam, ""),
    }


def results(
    inputs: ReportInputs, shared: Shared, figures: FigureIndex, xrefs: Mapping[str, dict]
) -> dict:
    """The Results section: the study's families, then the user's own ("additional")."""
    sections = [
        family_section(fam, inputs, shared, figures, xrefs[family_anchor(fam)]["number"])
        for fam in shared.families
    ]
    known = [s for s in sections if s["family"] in shared.known]
    return {"families": known, "additional": sections[len(known) :]}
