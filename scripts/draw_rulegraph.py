"""Snakemake entry point of rule draw_rulegraph: the workflow's rule graph, as DOT and SVG."""

from bnstudy.figures.rulegraph import draw_rulegraph, rulegraph_dot
from bnstudy.io import end_job, log_to, write_text

log_to(snakemake.log[0])
dot = rulegraph_dot(str(snakemake.input.snakefile), snakemake.params.configfiles)
write_text(snakemake.output.dot, dot)
draw_rulegraph(snakemake.output.dot, snakemake.output.svg)
end_job()
