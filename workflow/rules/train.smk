rule train_config:
    input:
        data=get_dataset_file,
        code=lib("training.job", "training.batched", "data"),
    output:
        metrics="results/runs/{family}/{config_id}/metrics.csv",
        timing="results/runs/{family}/{config_id}/timing.csv",
        # The learning-rate sweep's runs (lr_sweep), for the tuned readings of claims.
        sweep="results/runs/{family}/{config_id}/sweep.csv",
        resolved="results/runs/{family}/{config_id}/config.json",
    log:
        "logs/train_config/{family}/{config_id}.log",
    benchmark:
        "results/benchmarks/train_config/{family}/{config_id}.tsv"
    priority: get_train_priority
    conda:
        "../../envs/bnstudy.yaml"
    threads: 1
    params:
        run=get_run_params,
    script:
        "../../scripts/train_config.py"
