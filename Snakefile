# bnstudy: how to tune networks that use Batch Normalization (docs/study.md).
# Reads like a table of contents; helpers live in workflow/rules/common.smk.
from snakemake.utils import min_version

from bnstudy.validate import check_config_files, stop_on_config_error

min_version("9.0")

# A config file that is missing, not YAML, or gives a key twice stops here, named with
# its line (Snakemake would keep the last of two values without a word).
with stop_on_config_error():
    check_config_files(workflow.overwrite_configfiles or ["config/config.yaml"])


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
    collect_sweep,
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
        # Every run's files: raw data that went missing is retrained, and what reads it.
        get_all_run_files,
