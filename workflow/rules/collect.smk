rule collect_metrics:
    input:
        metrics=get_family_metrics,
        timings=get_family_timings,
        resolved=get_family_resolved,
        code=lib("tables", "summary", "io"),
    output:
        table="results/metrics/{family}.csv",
        summary="results/metrics/{family}_summary.csv",
    log:
        "logs/collect_metrics/{family}.log",
    benchmark:
        "results/benchmarks/collect_metrics/{family}.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    script:
        "../../scripts/collect_metrics.py"
