rule make_dataset:
    input:
        code=lib("data", "io"),
    output:
        data="results/data/{dataset}.pt",
    log:
        "logs/make_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/make_dataset/{dataset}.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    params:
        settings=get_dataset_params,
    script:
        "../../scripts/make_dataset.py"
