rule judge_claims:
    input:
        summaries=get_all_summaries(),
        code=lib("claims", "stats"),
    output:
        claims="results/claims/claims.csv",
    params:
        families=FAMILIES,
    log:
        "logs/judge_claims.log",
    benchmark:
        "results/benchmarks/judge_claims.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    script:
        "../../scripts/judge_claims.py"
