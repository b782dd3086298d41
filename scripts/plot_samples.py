"""Snakemake entry point of rule plot_samples: sample images of an image dataset."""

from bnstudy.figures.samples import plot_samples
from bnstudy.io import end_job, log_to

log_to(snakemake.log[0])
plot_samples(snakemake.input.data, snakemake.output.svg)
end_job()
