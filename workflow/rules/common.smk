# Helpers shared by the rules: the validated study, wildcard constraints built
# from the grids, and get_* input/params functions passed to rules by name.
import os
import re
import sys

from snakemake.logging import logger

from bnstudy.validate import ConfigError, check_config

SCHEMA = os.path.join(workflow.basedir, "workflow", "schemas", "config.schema.yaml")

# Validate before any job starts: a bad value stops here with one line naming the
# key, the value and what is allowed (a WorkflowError would add a file/line trace).
try:
    check_config(config, SCHEMA)
except ConfigError as err:
    print(f"invalid config: {err}", file=sys.stderr)
    sys.exit(1)

# Imported once the config is valid, so a bad one stops without waiting for torch.
from bnstudy.config import canonical, dataset_settings
from bnstudy.deps import closure_files
from bnstudy.families import family_name_warnings, figure_names
from bnstudy.grid import expand_study, run_priority
from bnstudy.tables import failed_runs, failure_report

for warning in family_name_warnings(config["families"]):
    logger.warning(f"config: {warning}")

# Families in canonical order (the study's, then the others sorted): the order of
# the blocks in the config file changes nothing.
STUDY = expand_study(config)
FAMILIES = list(STUDY)
CONFIGS = {fam: {c["config_id"]: c for c in cfgs} for fam, cfgs in STUDY.items()}
DATASETS = sorted({c["dataset"] for cfgs in STUDY.values() for c in cfgs})
IMAGE_DATASETS = [d for d in DATASETS if d == "images"]
FIGURES = {
    fam: figure_names(fam, list(config["families"][fam]["grid"])) for fam in FAMILIES
}


def _alternatives(values):
    return (
        "|".join(re.escape(str(v)) for v in sorted(values, key=len, reverse=True))
        or "$^"
    )


wildcard_constraints:
    family=_alternatives(FAMILIES),
    config_id=_alternatives({cid for cfgs in CONFIGS.values() for cid in cfgs}),
    dataset=_alternatives(DATASETS),
    figure=_alternatives({name for names in FIGURES.values() for name in names}),


def lib(*modules):
    """Library modules a job imports (dotted below bnstudy: "training.job") and what
    they import in turn, as inputs: editing any of them reruns that job."""
    root = os.path.relpath(os.path.join(workflow.basedir, "bnstudy"))
    return [os.path.relpath(path) for path in closure_files(modules, root)]


def get_dataset_params(wildcards):
    """Only the settings that shape this dataset, so editing another leaves it alone."""
    return dataset_settings(wildcards.dataset, config["datasets"])


def get_run_config(wildcards):
    return CONFIGS[wildcards.family][wildcards.config_id]


def get_train_priority(wildcards):
    """Long trainings first, so none of them is left to run alone at the end."""
    return run_priority(get_run_config(wildcards))


def get_dataset_file(wildcards):
    return f"results/data/{get_run_config(wildcards)['dataset']}.pt"


def get_seeds(family):
    """Seeds 0 … S−1, S from the family block if it sets its own, else the global one."""
    return list(range(config["families"][family].get("seeds", config["seeds"])))


def get_study_params():
    """The whole config as a job's params: canonical, so reordering it reruns nothing."""
    return canonical(config)


def get_run_params(wildcards):
    """This configuration's own values only, so a change elsewhere never reruns it."""
    cfg = dict(get_run_config(wildcards))
    return canonical(
        {
            "family": cfg.pop("family"),
            "config_id": cfg.pop("config_id"),
            "config": cfg,
            "seeds": get_seeds(wildcards.family),
            "device": config["device"],
        }
    )


def _family_runs(wildcards, name):
    return [
        f"results/runs/{wildcards.family}/{cid}/{name}"
        for cid in CONFIGS[wildcards.family]
    ]


def get_family_metrics(wildcards):
    return _family_runs(wildcards, "metrics.csv")


def get_family_timings(wildcards):
    return _family_runs(wildcards, "timing.csv")


def get_family_resolved(wildcards):
    return _family_runs(wildcards, "config.json")


def get_family_figures(family):
    return [f"results/figures/{family}/{name}.svg" for name in FIGURES[family]]


def get_all_summaries():
    """Every family's summary table, in canonical order (matching FAMILIES)."""
    return [f"results/metrics/{fam}_summary.csv" for fam in FAMILIES]


def get_all_runs_tables():
    """Every family's runs table (ok/failed, seeds diverged per configuration), in canonical order."""
    return [f"results/metrics/{fam}_runs.csv" for fam in FAMILIES]


def get_all_figures():
    return [path for fam in FAMILIES for path in get_family_figures(fam)]


def get_dataset_metas():
    return {d: f"results/data/{d}.json" for d in DATASETS}


def get_sample_figures():
    return {d: f"results/figures/data/{d}_samples.svg" for d in IMAGE_DATASETS}


# ---- failed configurations ---------------------------------------------------------
# A configuration whose training raised is recorded as failed (bnstudy.training.job.run_job):
# its job succeeds, so the other results, the claims and the report are still made.
# Snakemake then names it and exits non-zero, and until it is rerun
# (--forcerun, as the message says) every run starts by naming it again.
CONFIGFILES_GIVEN = [os.path.relpath(str(f)) for f in workflow.overwrite_configfiles]
RERUN = "snakemake" + (
    f" --configfile {' '.join(CONFIGFILES_GIVEN)}" if CONFIGFILES_GIVEN else ""
)
if workflow.is_main_process:
    EARLIER_FAILURES = failure_report(failed_runs(CONFIGS), command=RERUN)
    if EARLIER_FAILURES:
        logger.warning("earlier run: " + "\n".join(EARLIER_FAILURES))


onsuccess:
    failed = failure_report(failed_runs(CONFIGS), command=RERUN)
    if failed:
        logger.error("\n".join(failed))
        sys.exit(1)


onerror:
    failed = failure_report(failed_runs(CONFIGS), command=RERUN)
    if failed:
        logger.error("\n".join(failed))
