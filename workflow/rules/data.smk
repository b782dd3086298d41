rule make_dataset:
    input:
        code=lib("data", "images", "io"),
    output:
        data="results/data/{dataset}.pt",
        meta="results/data/{dataset}.json",
    log:
        "logs/make_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/make_dataset/{dataset}.tsv"
    # Before every training (run_priority tops at 3): the long image trainings wait
    # for their dataset, and should not wait behind the many short regression jobs.
    priority: 4
    conda:
        "../../envs/bnstudy.yaml"
    params:
        settings=get_dataset_params,
    script:
        "../../scripts/make_dataset.py"


rule plot_samples:
    input:
        data="results/data/{dataset}.pt",
        code=lib("figures.samples", "io"),
    output:
        svg="results/figures/data/{dataset}_samples.svg",
    log:
        "logs/plot_samples/{dataset}.log",
    benchmark:
        "results/benchmarks/plot_samples/{dataset}.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    script:
        "../../scripts/plot_samples.py"
