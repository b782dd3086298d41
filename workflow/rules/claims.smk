rule judge_claims:
    input:
        summaries=get_all_summaries(),
        runs=get_all_runs_tables(),
        # Every configuration at every lr it trained: the tuned readings' selections.
        sweeps=get_all_sweeps(),
        code=lib("claims.engine", "io"),
    output:
        claims=report(
            "results/claims/claims.csv",
            caption="../../report/captions/claims.rst",
            category="Claims",
        ),
    log:
        "logs/judge_claims.log",
    benchmark:
        "results/benchmarks/judge_claims.tsv"
    conda:
        "../../envs/bnstudy.yaml"
    params:
        families=FAMILIES,
    script:
        "../../scripts/judge_claims.py"
