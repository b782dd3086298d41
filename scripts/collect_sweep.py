"""Snakemake entry point of rule collect_sweep."""

from bnstudy.io import end_job, log_to
from bnstudy.sweeps import collect_sweep

log_to(snakemake.log[0])
collect_sweep(
    metrics=list(snakemake.input.metrics),
    sweeps=list(snakemake.input.sweeps),
    resolved=list(snakemake.input.resolved),
    sweep_out=snakemake.output.sweep,
)
end_job()
