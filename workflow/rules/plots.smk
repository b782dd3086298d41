rule plot_figure:
    input:
        table=rules.collect_metrics.output.table,
        summary=rules.collect_metrics.output.summary,
        code=lib("figures", "families", "config", "stats", "summary", "io"),
    output:
        svg="results/figures/{family}/{figure}.svg",
    log:
        "logs/plot_figure/{family}/{figure}.log",
    benchmark:
        "results/benchmarks/plot_figure/{family}/{figure}.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    script:
        "../../scripts/plot_figure.py"
