rule make_dataset:
    input:
        code=lib("data", "io"),
    output:
        data="results/data/{dataset}.pt",
    params:
        settings=get_dataset_params,
    log:
        "logs/make_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/make_dataset/{dataset}.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    script:
        "../../scripts/make_dataset.py"
