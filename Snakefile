# bnstudy: how to tune networks that use Batch Normalization (docs/study.md).
# Reads like a table of contents; helpers live in workflow/rules/common.smk.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/collect.smk"
include: "workflow/rules/plots.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/report.smk"


# Steps that take seconds run where Snakemake runs, also under a cluster
# executor (profiles/slurm): only datasets and trainings are queued as jobs.
localrules:
    all,
    plot_samples,
    collect_metrics,
    plot_figure,
    judge_claims,
    draw_rulegraph,
    plot_job_resources,
    render_report,


rule all:
    default_target: True
    input:
        rules.render_report.output,
        rules.judge_claims.output,
