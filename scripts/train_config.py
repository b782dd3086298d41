"""Snakemake entry point of rule train_config: all seeds of one configuration."""

from bnstudy.io import end_job, log_to
from bnstudy.training.job import run_job

log_to(snakemake.log[0])
run_job(
    params=snakemake.params.run,
    data_path=snakemake.input.data,
    outputs=dict(snakemake.output.items()),
    threads=snakemake.threads,
    log_path=snakemake.log[0],
)
end_job()
