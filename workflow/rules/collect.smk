rule collect_metrics:
    input:
        metrics=get_family_metrics,
        timings=get_family_timings,
        resolved=get_family_resolved,
        code=lib("tables", "summary", "config", "io"),
    output:
        table="results/metrics/{family}.csv",
        summary="results/metrics/{family}_summary.csv",
        # One row per configuration: ok or failed (with the error), seeds diverged.
        runs="results/metrics/{family}_runs.csv",
    log:
        "logs/collect_metrics/{family}.log",
    benchmark:
        "results/benchmarks/collect_metrics/{family}.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    script:
        "../../scripts/collect_metrics.py"


rule collect_sweep:
    input:
        metrics=get_family_metrics,
        sweeps=get_family_sweeps,
        resolved=get_family_resolved,
        code=lib("sweeps", "io"),
    output:
        # Every configuration at every lr it trained (lr_sweep), per seed.
        sweep="results/metrics/{family}_sweep.csv",
    log:
        "logs/collect_sweep/{family}.log",
    benchmark:
        "results/benchmarks/collect_sweep/{family}.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    script:
        "../../scripts/collect_sweep.py"
