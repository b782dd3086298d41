# Helpers shared by the rules: the validated study, wildcard constraints built
# from the grids, and get_* input/params functions passed to rules by name.
import os
import re
import sys

from snakemake.logging import logger

from bnstudy.validate import check_config, check_environment, stop_on_config_error

SCHEMA = os.path.join(workflow.basedir, "workflow", "schemas", "config.schema.yaml")
# Fashion-MNIST folders that passed their check, so that a rerun does not hash them again.
FASHION_VERIFIED = ".snakemake/bnstudy/fashion-verified.json"

# Validate before any job starts: a bad value stops here with one line naming the
# key, the value and what is allowed; then what the config asks of this machine
# (data files, CUDA), so that no input the check could catch reaches a job.
with stop_on_config_error():
    check_config(config, SCHEMA)
    if workflow.is_main_process:
        check_environment(config, cache=FASHION_VERIFIED)

# Imported once the config is valid, so a bad one stops without waiting for torch.
from bnstudy.config import canonical, dataset_settings
from bnstudy.deps import closure_files
from bnstudy.families import family_name_warnings, figure_names
from bnstudy.grid import expand_study, grid_keys, run_priority
from bnstudy.tables import failed_runs, failure_report
from bnstudy import audit, scale

for warning in family_name_warnings(config["families"]):
    logger.warning(f"config: {warning}")

# The size check's limits are runtime settings, not the experiment: out of the
# config, so that they never rerun a job nor show as the study's settings.
SCALE_LIMITS = {key: config.pop(key) for key in scale.LIMIT_KEYS}

# Families in canonical order (the study's, then the others sorted): the order of
# the blocks in the config file changes nothing.
STUDY = expand_study(config)
FAMILIES = list(STUDY)
CONFIGS = {fam: {c["config_id"]: c for c in cfgs} for fam, cfgs in STUDY.items()}
DATASETS = sorted({c["dataset"] for cfgs in STUDY.values() for c in cfgs})
IMAGE_DATASETS = [d for d in DATASETS if d == "images"]
FIGURES = {
    fam: figure_names(fam, grid_keys(config["families"][fam])) for fam in FAMILIES
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
    """The family's seeds if it sets its own, else the global ones: a count S means
    seeds 0 … S−1, a list those seeds (sorted)."""
    seeds = config["families"][family].get("seeds", config["seeds"])
    return list(range(seeds)) if isinstance(seeds, int) else sorted(seeds)


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


def get_family_sweeps(wildcards):
    return _family_runs(wildcards, "sweep.csv")


def get_all_sweeps():
    """Every family's sweep table (runs at every lr trained), in canonical order."""
    return [f"results/metrics/{fam}_sweep.csv" for fam in FAMILIES]


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
# The rerun command is the one that started this run (its --cores, --configfile,
# profile, ...), so that it works as printed; jobs find it in the environment.
RERUN = audit.rerun_base(sys.argv)
# Only the snakemake the user started audits the runs and checks the plan, not one
# that a job starts (the rule graph's) while other jobs write their runs.
OUTERMOST = workflow.is_main_process and audit.is_outermost()
if OUTERMOST:
    os.environ[audit.RERUN_ENV] = RERUN
if workflow.is_main_process:
    EARLIER_FAILURES = failure_report(failed_runs(CONFIGS), command=RERUN)
    if EARLIER_FAILURES:
        logger.warning("earlier run: " + "\n".join(EARLIER_FAILURES))


# ---- before any job: the runs on disk, the size of the plan --------------------------
def get_run_names():
    """The names of the files a train_config job writes into its run folder."""
    return [os.path.basename(path) for path in rules.train_config.output]


def audit_runs():
    """Every run of the study as found on disk: missing, damaged or complete."""
    return audit.audit_study(
        {f: list(ids) for f, ids in CONFIGS.items()}, get_run_names()
    )


def get_all_run_files(wildcards):
    """Every file of every run, for the default target: a run whose files went missing
    is retrained with what reads it, even when its family's tables are still there.

    Evaluated as the jobs are planned; the first time, in the snakemake the user
    started, the runs and the plan are checked first (check_before_running)."""
    if OUTERMOST and not CHECKED:
        CHECKED.append(True)
        check_before_running()
    return [
        f"results/runs/{fam}/{cid}/{name}"
        for fam, ids in CONFIGS.items()
        for cid in ids
        for name in get_run_names()
    ]


CHECKED = []


def check_before_running():
    """Lost runs are named (the default target retrains them); a damaged one stops the
    run naming the file and the command that rebuilds it, unless that command is this
    one; the plan's size is printed, and stops the run above its limits unless confirmed.
    """
    states = audit_runs()
    collected = {f for f in FAMILIES if os.path.exists(f"results/metrics/{f}.csv")}
    runs = {fam: len(ids) for fam, ids in CONFIGS.items()}
    for line in audit.lost_report(audit.lost_runs(states, collected), runs):
        logger.warning(line)
    forced = workflow.dag_settings.forcerun, workflow.dag_settings.forceall
    damaged = []
    for state in audit.damaged_runs(states):
        if audit.is_forced(state, get_run_names(), *forced):
            logger.warning(f"rebuilding the damaged run {state.folder} (--forcerun)")
        else:
            damaged.append(state)
    if damaged:
        lines = audit.damaged_report(damaged, get_run_names(), RERUN)
        print("\n".join(lines), file=sys.stderr)
        sys.exit(1)
    on_disk = {(s.family, s.config_id): s.resolved for s in states if s.complete}
    seeds = {fam: get_seeds(fam) for fam in FAMILIES}
    plan = scale.plan_study(CONFIGS, seeds, config["datasets"], on_disk)
    rates = scale.measured_rates(on_disk, config["datasets"])
    line, stop = scale.check_scale(plan, rates, SCALE_LIMITS)
    logger.info(line)
    if stop:
        print(f"scale: {stop}", file=sys.stderr)
        sys.exit(1)


onsuccess:
    failed = failure_report(failed_runs(CONFIGS), command=RERUN)
    if failed:
        logger.error("\n".join(failed))
        sys.exit(1)


onerror:
    failed = failure_report(failed_runs(CONFIGS), command=RERUN)
    if failed:
        logger.error("\n".join(failed))
    # A run damaged while this one ran stopped its family's collection: how to rebuild it.
    damaged = audit.damaged_runs(audit_runs())
    if damaged:
        logger.error(
            "\n".join(audit.damaged_report(damaged, get_run_names(), RERUN))
        )
