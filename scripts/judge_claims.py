"""Snakemake entry point of rule judge_claims."""

from bnstudy.claims.engine import judge_files
from bnstudy.io import end_job, log_to

log_to(snakemake.log[0])
judge_files(
    dict(zip(snakemake.params.families, snakemake.input.summaries, strict=True)),
    snakemake.output.claims,
    dict(zip(snakemake.params.families, snakemake.input.runs, strict=True)),
)
end_job()
