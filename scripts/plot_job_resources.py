"""Snakemake entry point of rule plot_job_resources."""

from bnstudy.io import end_job, log_to
from bnstudy.report.resources import plot_job_resources

log_to(snakemake.log[0])
plot_job_resources(
    benchmarks=snakemake.params.benchmarks,
    rulegraph_dot=snakemake.input.rulegraph_dot,
    svg_out=snakemake.output.svg,
    table_out=snakemake.output.jobs,
)
end_job()
