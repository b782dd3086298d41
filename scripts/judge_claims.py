"""Snakemake entry point of rule judge_claims."""

from bnstudy.claims.engine import judge_files
from bnstudy.io import end_job, log_to

log_to(snakemake.log[0])
families = snakemake.params.families
judge_files(
    dict(zip(families, snakemake.input.summaries, strict=True)),
    snakemake.output.claims,
    dict(zip(families, snakemake.input.runs, strict=True)),
    dict(zip(families, snakemake.input.sweeps, strict=True)),
)
end_job()
