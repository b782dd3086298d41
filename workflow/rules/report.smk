rule render_report:
    input:
        summaries=get_all_summaries(),
        claims=rules.judge_claims.output.claims,
        figures=get_all_figures(),
        template="report/report.html.j2",
        css="report/style.css",
        code=lib("report", "claims", "figures", "families", "stats", "summary", "io"),
    output:
        html="results/report/report.html",
        pdf="results/report/report.pdf",
    log:
        "logs/render_report.log",
    benchmark:
        "results/benchmarks/render_report.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    params:
        families=FAMILIES,
        figures={fam: get_family_figures(fam) for fam in FAMILIES},
        study=config,
    script:
        "../../scripts/render_report.py"
