"""Snakemake entry point of rule render_report."""

from bnstudy.io import end_job, log_to
from bnstudy.report.render import render_files

log_to(snakemake.log[0])
render_files(
    study=snakemake.params.study,
    claims_path=snakemake.input.claims,
    summaries=dict(zip(snakemake.params.families, snakemake.input.summaries, strict=True)),
    figures=snakemake.params.figures,
    datasets_meta=snakemake.params.metas,
    samples=snakemake.params.samples,
    jobs=(snakemake.input.jobs, snakemake.input.jobs_figure),
    rulegraph=(snakemake.input.rulegraph_dot, snakemake.input.rulegraph),
    configfiles=snakemake.params.configfiles,
    snapshot_dir=snakemake.params.snapshot,
    runs=dict(zip(snakemake.params.families, snakemake.input.runs, strict=True)),
    sweeps=dict(zip(snakemake.params.families, snakemake.input.sweeps, strict=True)),
    html_out=snakemake.output.html,
    pdf_out=snakemake.output.pdf,
)
end_job()
