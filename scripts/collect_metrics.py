"""Snakemake entry point of rule collect_metrics."""

from bnstudy.io import end_job, log_to
from bnstudy.tables import collect_family

log_to(snakemake.log[0])
collect_family(
    metrics=list(snakemake.input.metrics),
    timings=list(snakemake.input.timings),
    resolved=list(snakemake.input.resolved),
    table_out=snakemake.output.table,
    summary_out=snakemake.output.summary,
    runs_out=snakemake.output.runs,
)
end_job()
