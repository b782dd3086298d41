"""Snakemake entry point of rule plot_figure: one figure of one family."""

from bnstudy.figures.make import plot_family
from bnstudy.io import end_job, log_to

log_to(snakemake.log[0])
plot_family(
    snakemake.wildcards.family,
    snakemake.input.table,
    snakemake.input.summary,
    {snakemake.wildcards.figure: snakemake.output.svg},
)
end_job()
