import glob

# The workflow's rule files: editing a rule redraws the rule graph.
RULE_FILES = [
    os.path.relpath(path)
    for path in sorted(
        glob.glob(os.path.join(workflow.basedir, "workflow", "rules", "*.smk"))
    )
]
# The config files of this run (--configfile), so the report's commands rerun this study.
CONFIGFILES = [os.path.relpath(str(path)) for path in workflow.overwrite_configfiles]


report: "../../report/workflow.rst"


rule draw_rulegraph:
    input:
        snakefile=os.path.relpath(workflow.main_snakefile),
        rules=RULE_FILES,
        code=lib("figures.rulegraph", "io"),
    output:
        dot="results/report/rulegraph.dot",
        svg=report(
            "results/report/rulegraph.svg",
            caption="../../report/captions/rulegraph.rst",
            category="Rule graph",
        ),
    log:
        "logs/draw_rulegraph.log",
    benchmark:
        "results/benchmarks/draw_rulegraph.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    params:
        configfiles=CONFIGFILES,
    script:
        "../../scripts/draw_rulegraph.py"


rule plot_job_resources:
    input:
        # After the jobs it reports on: the trainings (through their tables), the
        # figures, the claims and the rule graph, as the report reads them.
        summaries=get_all_summaries(),
        runs=get_all_runs_tables(),
        claims=rules.judge_claims.output.claims,
        figures=get_all_figures(),
        samples=list(get_sample_figures().values()),
        rulegraph_dot=rules.draw_rulegraph.output.dot,
        code=lib("report.resources", "io"),
    output:
        svg="results/report/job_resources.svg",
        jobs="results/report/jobs.csv",
    log:
        "logs/plot_job_resources.log",
    benchmark:
        "results/benchmarks/plot_job_resources.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    params:
        # Read as they are when this job runs (Snakemake writes them after each job),
        # so they are not inputs.
        benchmarks="results/benchmarks",
    script:
        "../../scripts/plot_job_resources.py"


rule render_report:
    input:
        summaries=get_all_summaries(),
        runs=get_all_runs_tables(),
        # Every run at every learning rate it trained: what the budget section counts.
        sweeps=get_all_sweeps(),
        claims=rules.judge_claims.output.claims,
        figures=get_all_figures(),
        metas=list(get_dataset_metas().values()),
        samples=list(get_sample_figures().values()),
        rulegraph_dot=rules.draw_rulegraph.output.dot,
        rulegraph=rules.draw_rulegraph.output.svg,
        jobs=rules.plot_job_resources.output.jobs,
        jobs_figure=rules.plot_job_resources.output.svg,
        # The template and the section templates it includes.
        templates=sorted(glob.glob("report/**/*.html.j2", recursive=True)),
        css="report/style.css",
        code=lib("report.render", "io"),
    output:
        html=report(
            "results/report/report.html",
            caption="../../report/captions/report.rst",
            category="Report",
        ),
        pdf=report(
            "results/report/report.pdf",
            caption="../../report/captions/report.rst",
            category="Report",
        ),
    log:
        "logs/render_report.log",
    benchmark:
        "results/benchmarks/render_report.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    params:
        families=FAMILIES,
        figures={fam: get_family_figures(fam) for fam in FAMILIES},
        metas=get_dataset_metas(),
        samples=get_sample_figures(),
        study=get_study_params(),
        configfiles=CONFIGFILES,
        # The previous build's claims and tables, for "what changed"; replaced on success.
        snapshot="results/report/last_build",
    script:
        "../../scripts/render_report.py"
