from bnstudy.families import figure_caption_text


rule plot_figure:
    input:
        table=rules.collect_metrics.output.table,
        summary=rules.collect_metrics.output.summary,
        code=lib("figures.make", "io"),
    output:
        svg=report(
            "results/figures/{family}/{figure}.svg",
            caption="../../report/captions/figure.rst",
            category="Figures",
            subcategory="{family}",
            labels={"family": "{family}", "figure": "{figure}"},
        ),
    log:
        "logs/plot_figure/{family}/{figure}.log",
    benchmark:
        "results/benchmarks/plot_figure/{family}/{figure}.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    params:
        # The caption of Snakemake's own report (the paper report adds the numbers).
        caption=lambda w: figure_caption_text(
            w.family, w.figure, config["families"][w.family].get("dataset") == "images"
        ),
    script:
        "../../scripts/plot_figure.py"
