"""The report's closing sections: what changed since the last build, and the appendix
(this build, every figure's command, versions, the jobs, the rule graph, the config)."""

from __future__ import annotations

from bnstudy.figures.rulegraph import parse_dot
from bnstudy.report.fmt import DASH, display_path, fmt_change, fmt_estimate, verdict_slug
from bnstudy.report.inputs import ReportInputs
from bnstudy.report.outline import FigureIndex
from bnstudy.report.provenance import config_yaml
from bnstudy.report.sections.shared import Shared

# --------------------------------------------------------------------------- what changed


def verdict_change(v: dict) -> dict:
    """A claim whose verdict changed: before and after, with effect and interval."""
    b, a = v["before"], v["after"]
    return {
        "claim": v["claim"],
        "before": str(b["verdict"]),
        "before_slug": verdict_slug(b["verdict"]),
        "after": str(a["verdict"]),
        "after_slug": verdict_slug(a["verdict"]),
        "before_effect": fmt_estimate(b["effect"], b["ci_low"], b["ci_high"]),
        "after_effect": fmt_estimate(a["effect"], a["ci_low"], a["ci_high"]),
    }


def moved_metric(m: dict) -> dict:
    """A number that left its previous interval (or a changed count of diverged seeds)."""
    if m["metric"] == "diverged seeds":
        before, after, change = m["diverged_before"], m["diverged_after"], DASH
    else:
        before = fmt_estimate(m["before"], m["before_low"], m["before_high"])
        after = fmt_estimate(m["after"], m["after_low"], m["after_high"])
        change = fmt_change(m["change"])
    return {
        "family": m["family"],
        "config": m["config_id"],
        "metric": m["metric"],
        "before": before,
        "after": after,
        "change": change,
    }


def changes(diff: dict | None, where: str) -> dict:
    """The "what changed" section from ``changes.compare``'s result; ``where`` is the
    snapshot folder it compared with."""
    if not diff or diff.get("first_build"):
        return {"first_build": True, "where": where}
    manifest = diff.get("manifest") or {}
    return {
        "first_build": False,
        "where": where,
        "previous_generated": str(manifest.get("generated", DASH)),
        "previous_revision": str(manifest.get("code_revision", "unknown")),
        "configs": diff["configs"],
        "verdicts": [verdict_change(v) for v in diff["verdicts"]],
        "moved": [moved_metric(m) for m in diff["moved"]],
        "n_compared": str(diff["n_compared"]),
        "added": diff["added"],
        "removed": diff["removed"],
        "changed": diff["changed"],
    }


# --------------------------------------------------------------------------- the appendix


def jobs_figure(inputs: ReportInputs, shared: Shared, figures: FigureIndex) -> dict | None:
    """The figure of every job's wall time and peak memory (drawn by its own job)."""
    jobs = shared.jobs
    if not jobs or not inputs.jobs_figure:
        return None
    return figures.add(
        "fig-jobs",
        inputs.jobs_figure,
        f"Wall time (left) and peak resident memory (right) of each of the "
        f"{jobs['n_jobs']} jobs with a benchmark file, one row per rule, log scale; "
        f"the bar marks each rule's median. Key numbers: {jobs['total']} of job time "
        f"in all; the largest peak memory {jobs['max_rss']} MB.",
        {
            "command": f"{shared.prefix} --force {display_path(inputs.jobs_figure)}",
            "inputs": ["results/benchmarks/**/*.tsv"],
            "code": (
                "bnstudy/report/jobs.py and bnstudy/figures/resources.py at revision "
                f"{shared.revision}"
            ),
        },
    )


def rulegraph_figure(inputs: ReportInputs, shared: Shared, figures: FigureIndex) -> dict | None:
    """The figure of the workflow's rules and their dependencies."""
    if not inputs.rulegraph:
        return None
    dot, svg = inputs.rulegraph
    labels, _ = parse_dot(dot)
    return figures.add(
        "fig-rulegraph",
        svg,
        f"The workflow's {len(labels)} rules and their dependencies, as "
        "snakemake --rulegraph reports them for this configuration (an arrow points "
        "from a rule to the rules that use its outputs).",
        {
            "command": f"{shared.prefix} --force {display_path(svg)}",
            "inputs": ["Snakefile", "workflow/rules/*.smk"],
            "code": f"bnstudy/figures/rulegraph.py at revision {shared.revision}",
        },
    )


def appendix(inputs: ReportInputs, shared: Shared, figures: FigureIndex) -> dict:
    """The appendix: its figures are the report's last, and it lists them all."""
    prov = inputs.provenance
    jobs_fig = jobs_figure(inputs, shared, figures)
    rulegraph_fig = rulegraph_figure(inputs, shared, figures)
    return {
        "code_revision": shared.revision,
        "generated": str(prov.get("generated", "")),
        "regenerate": f"{shared.prefix} results/report/report.html",
        "hardware": str(prov.get("hardware", "unknown")),
        "versions": [(k, str(v)) for k, v in (prov.get("versions") or {}).items()],
        "config_yaml": str(prov.get("config_yaml") or config_yaml(inputs.config)),
        "figure_index": list(figures.entries),
        "jobs": shared.jobs,
        "jobs_figure": jobs_fig,
        "rulegraph_figure": rulegraph_fig,
    }
