"""Snakemake entry point of rule make_dataset."""

from bnstudy.data import build_dataset
from bnstudy.io import end_job, log_to

log_to(snakemake.log[0])
build_dataset(
    snakemake.wildcards.dataset,
    snakemake.params.settings,
    snakemake.output.data,
    snakemake.output.meta,
)
end_job()
