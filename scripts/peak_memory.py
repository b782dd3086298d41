"""Peak memory of the training jobs on disk, per model, against the limits of issue 6.

    .venv/bin/python scripts/peak_memory.py [results]      # exits 1 if a job is over its limit

Reads results/benchmarks/train_config/**/*.tsv (Snakemake's sampled max_rss) and
each run's config.json (the job's exact peak, peak_rss_mb).
"""

import sys

from bnstudy.tables import memory_by_model, training_memory

jobs = training_memory(sys.argv[1] if len(sys.argv) > 1 else "results")
if jobs.empty:
    sys.exit("no training benchmarks found under results/benchmarks/train_config")
table = memory_by_model(jobs)
print(table.to_string(index=False))
sys.exit(0 if table["under_limit"].all() else 1)
