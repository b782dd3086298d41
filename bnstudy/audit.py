"""The runs on disk against the study: which are missing, which are damaged, and the
command that rebuilds them.

A run folder (``results/runs/<family>/<config_id>/``) is **complete** when every file
its job writes is there and each data file is what the job wrote: its ``config.json``
reads, and each ``metrics.csv``, ``timing.csv``, ... matches the record the job made
of it (``bnstudy.integrity``). A run without such a record (made before records
existed) is checked against what its configuration must contain instead
(:func:`structure_problem`): every seed, each with the epochs it trained and
the metrics of every epoch, and one end-of-run row.

The workflow audits every run of the study before it runs anything
(``workflow/rules/common.smk``): a missing file is rebuilt (the default target
asks for every run's files), a damaged one stops the run naming the file and the
command that rebuilds it. Collecting a family checks its runs again
(:func:`verify_run`), so a run damaged in between stops that step the same way.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bnstudy.integrity import RECORD_KEY, compare

RESOLVED = "config.json"
#: Environment variable holding the command line that started the workflow, set by
#: the workflow for its jobs: their messages name the exact command that rebuilds a run.
RERUN_ENV = "BNSTUDY_RERUN"
#: Environment variable naming the process of the snakemake the user started.
OUTER_ENV = "BNSTUDY_OUTER_PID"
# Columns and metric names as bnstudy.training.records writes them (spelled out here
# so that the workflow and the tables, which never train, do not import torch).
METRICS_COLUMNS = ["seed", "epoch", "metric", "value"]
SWEEP_COLUMNS = ["lr", *METRICS_COLUMNS]
TIMING_COLUMNS = ["seed", "epoch", "seconds"]
TRAIN_LOSS, LR, GRAD_NORM, DIVERGED = "train_loss", "lr", "grad_norm.", "diverged"


class RunDamaged(ValueError):
    """A run file that is not what its job wrote; the message names it and how to rebuild it."""


def load_resolved(path: str | os.PathLike) -> dict:
    """A run's ``config.json``; raises :class:`RunDamaged` naming the file if it does not read."""
    try:
        with open(path, encoding="utf-8") as fh:
            resolved = json.load(fh)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RunDamaged(f"{path}: not readable JSON ({err})") from err
    if not isinstance(resolved, dict) or not {"family", "config_id", "config"} <= set(resolved):
        raise RunDamaged(f"{path}: not a run's resolved configuration (keys missing)")
    return resolved


# ---- what a configuration must contain ---------------------------------------------------


class _Bad(Exception):
    pass


def _rows(path: Path, columns: list[str]) -> list[list[str]]:
    """The cells of ``columns`` in every row (a file may hold more columns)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None) or []
        lacking = [c for c in columns if c not in header]
        if lacking:
            raise _Bad(f"header lacks column(s) {', '.join(lacking)}")
        index = [header.index(c) for c in columns]
        rows = []
        for line, row in enumerate(reader, start=2):
            if len(row) != len(header):
                raise _Bad(f"line {line} has {len(row)} fields, expected {len(header)}")
            rows.append([row[i] for i in index])
    return rows


def _metric_group(metric: str) -> str:
    """Every layer's gradient norm counts as one per-epoch metric."""
    return GRAD_NORM if metric.startswith(GRAD_NORM) else metric


def _by_run(rows) -> dict:
    """(lr slot, seed) → metric → [(epoch, value), ...] of parsed rows."""
    out: dict = {}
    for slot, seed, epoch, metric, value in rows:
        metrics = out.setdefault((slot, seed), {})
        metrics.setdefault(_metric_group(metric), []).append((epoch, value))
    return out


def _check_seed(where: str, metrics: dict, cfg: dict) -> list[int]:
    """One seed's rows: one end-of-run row, the epochs it trained, every per-epoch metric in
    each of them. Returns the epochs trained."""
    ends = metrics.get(DIVERGED, [])
    if len(ends) != 1:
        raise _Bad(f"{where} has {len(ends)} end-of-run rows ({DIVERGED}), expected 1")
    end_epoch, diverged = ends[0][0], ends[0][1] == 1.0
    trained = sorted(e for e, _ in metrics.get(TRAIN_LOSS, []))
    expected = list(range(1, end_epoch - diverged + 1))
    if trained != expected:
        raise _Bad(f"{where} has {TRAIN_LOSS} for {len(trained)} epochs, expected {len(expected)}")
    if not diverged and cfg.get("schedule") != "range_test" and len(trained) != cfg["epochs"]:
        raise _Bad(f"{where} trained {len(trained)} epochs, its configuration {cfg['epochs']}")
    for name in (LR, GRAD_NORM):
        counts = Counter(e for e, _ in metrics.get(name, []))
        if trained and (sorted(counts) != trained or len(set(counts.values())) != 1):
            raise _Bad(f"{where} lacks {name.rstrip('.')} rows of some epochs")
    return trained


def _parse(path: Path, columns: list[str]) -> list[tuple]:
    """Rows as (lr slot or None, seed, epoch, metric, value)."""
    rows = _rows(path, columns)
    if columns == SWEEP_COLUMNS:
        return [(float(lr), int(s), int(e), m, float(v or "nan")) for lr, s, e, m, v in rows]
    return [(None, int(s), int(e), m, float(v or "nan")) for s, e, m, v in rows]


def _check_timing(path: Path, trained: dict[int, list[int]]) -> None:
    times: dict[int, list[int]] = {}
    for s, e, _ in _rows(path, TIMING_COLUMNS):
        times.setdefault(int(s), []).append(int(e))
    for seed, epochs in trained.items():
        found = sorted(times.get(seed, []))
        if found != epochs:
            raise _Bad(f"seed {seed} has {len(found)} epoch times, expected {len(epochs)}")


def structure_problem(
    metrics_path: str | os.PathLike,
    resolved: dict,
    timing_path: str | os.PathLike | None = None,
    sweep_path: str | os.PathLike | None = None,
) -> str | None:
    """What a run's files lack of what its configuration must contain (every seed, each
    with its epochs, every per-epoch metric, one end-of-run row), naming the file; None
    if nothing. A failed run must hold no rows."""
    seeds, cfg = {int(s) for s in resolved.get("seeds", [])}, resolved["config"]
    path = Path(metrics_path)
    try:
        own = _by_run(_parse(path, METRICS_COLUMNS))
        if resolved.get("status", "ok") != "ok":
            return f"{path}: holds rows, but its training failed" if own else None
        if {seed for _, seed in own} != seeds:
            found = sorted({seed for _, seed in own})
            raise _Bad(f"holds seeds {found}, its configuration {sorted(seeds)}")
        trained = {seed: _check_seed(f"seed {seed}", m, cfg) for (_, seed), m in own.items()}
        if timing_path is not None:
            path = Path(timing_path)
            _check_timing(path, trained)
        if sweep_path is not None:
            path = Path(sweep_path)
            swept = _by_run(_parse(path, SWEEP_COLUMNS))
            lrs = {float(lr) for lr in cfg.get("lr_sweep") or []} - {float(cfg["lr"])}
            if set(swept) != {(lr, seed) for lr in lrs for seed in seeds}:
                raise _Bad(f"holds {len(swept)} (lr, seed) runs, expected {len(lrs) * len(seeds)}")
            for (lr, seed), m in swept.items():
                _check_seed(f"lr {lr:g} seed {seed}", m, cfg)
    except _Bad as err:
        return f"{path}: {err}"
    except ValueError as err:  # a cell that is not a number
        return f"{path}: a malformed row ({err})"
    return None


# ---- one run, all its files ---------------------------------------------------------------


@dataclass
class RunState:
    """One configuration's run folder as found on disk."""

    family: str
    config_id: str
    folder: Path
    resolved: dict | None = None
    missing: list[str] = field(default_factory=list)  # file names not there
    damaged: list[str] = field(default_factory=list)  # "path: what is wrong"

    @property
    def complete(self) -> bool:
        return self.resolved is not None and not self.missing and not self.damaged

    @property
    def family_folder(self) -> Path:
        """The folder of the family's runs: the run's folder above its config id's parts."""
        return self.folder.parents[len(Path(self.config_id).parts) - 1]

    def first_file(self, names: list[str]) -> str:
        """The file to name in a --forcerun: any output of the job reruns it."""
        return str(self.folder / names[0])


def check_run(folder: str | os.PathLike, names: list[str], structure: bool = False) -> RunState:
    """The state of the run in ``folder`` whose job writes the files ``names``.

    Data files are compared with their records; a run without records, or every
    run when ``structure`` is true, is also checked against its configuration.
    """
    folder = str(folder)  # os.path, not pathlib: a study has hundreds of runs to audit
    state = RunState("", "", Path(folder))
    path = {name: os.path.join(folder, name) for name in names}
    state.missing = [name for name in names if not os.path.isfile(path[name])]
    if RESOLVED in state.missing:
        return state  # nothing to compare with: rebuilt as missing
    try:
        state.resolved = load_resolved(path[RESOLVED])
    except RunDamaged as err:
        state.damaged.append(str(err))
        return state
    records = state.resolved.get(RECORD_KEY) or {}
    for name in names:
        if name != RESOLVED and name not in state.missing and name in records:
            why = compare(path[name], records[name])
            if why:
                state.damaged.append(f"{path[name]}: {why}")
    if not state.damaged and not state.missing and (structure or not records):
        why = structure_problem(
            os.path.join(folder, "metrics.csv"),
            state.resolved,
            path.get("timing.csv"),
            path.get("sweep.csv"),
        )
        if why:
            state.damaged.append(why)
    return state


def audit_study(
    run_folders: dict[str, list[str]], names: list[str], root: str = "results/runs"
) -> list[RunState]:
    """The state of every run of the study (family → config ids), in study order."""
    states = []
    for family, ids in run_folders.items():
        for cid in ids:
            state = check_run(Path(root, family, cid), names)
            state.family, state.config_id = family, cid
            states.append(state)
    return states


def verify_run(folder: str | os.PathLike, names: list[str]) -> dict:
    """A run's resolved configuration, once its files are complete and what its job wrote
    (with everything its configuration must contain); else :class:`RunDamaged`."""
    state = check_run(folder, names, structure=True)
    if state.missing:
        problem = f"{state.folder / state.missing[0]}: missing"
    elif state.damaged:
        problem = state.damaged[0]
    else:
        return state.resolved
    command = os.environ.get(RERUN_ENV, "snakemake --cores 1")
    raise RunDamaged(
        f"{problem}; rebuild it with: {command} --forcerun {shlex.quote(state.first_file(names))}"
    )


# ---- what the user is told ----------------------------------------------------------------


def lost_runs(states: list[RunState], collected: set[str]) -> list[RunState]:
    """Runs with files missing although their family was collected before: lost, not new."""
    return [s for s in states if s.missing and not s.damaged and s.family in collected]


def damaged_runs(states: list[RunState]) -> list[RunState]:
    return [s for s in states if s.damaged]


def lost_report(lost: list[RunState], runs: dict[str, int], shown: int = 10) -> list[str]:
    """Warning lines for runs whose files went missing: they are retrained now. A family
    that lost all its ``runs[family]`` runs is one line; at most ``shown`` lines follow."""
    if not lost:
        return []
    lines = [
        f"{len(lost)} run(s) have files missing (deleted, or made before their job wrote "
        "them); retraining them and what reads them:"
    ]
    listed = []
    for family in dict.fromkeys(s.family for s in lost):
        mine = [s for s in lost if s.family == family]
        if len(mine) == runs.get(family) and len(mine) > 1:
            listed.append(f"  {mine[0].family_folder}: all {len(mine)} runs of family {family}")
        else:
            listed += [f"  {s.folder}: {', '.join(s.missing)} missing" for s in mine]
    lines += listed[:shown]
    if len(listed) > shown:
        lines.append(f"  … and {len(listed) - shown} more")
    return lines


def damaged_report(damaged: list[RunState], names: list[str], command: str) -> list[str]:
    """Error lines for damaged runs: each file and what is wrong, then the rebuild command."""
    lines = [f"{len(damaged)} run(s) are damaged: their files are not what their jobs wrote"]
    lines += [f"  {problem}" for s in damaged for problem in s.damaged]
    targets = " ".join(shlex.quote(s.first_file(names)) for s in damaged)
    lines.append(f"Rebuild them with: {command} --forcerun {targets}")
    return lines


def is_forced(state: RunState, names: list[str], forcerun, forceall: bool = False) -> bool:
    """Whether the user's --forcerun (files or rule names) or --forceall reruns this run."""
    forced = {str(f) for f in forcerun or ()}
    own = {os.path.abspath(state.folder / n) for n in names}
    return forceall or "train_config" in forced or bool({os.path.abspath(f) for f in forced} & own)


# ---- the command that started the workflow -------------------------------------------------


def is_outermost() -> bool:
    """Whether this process is the snakemake the user started, not one that a job of it
    started (the rule graph's): the first to ask marks the environment its children inherit."""
    return os.environ.setdefault(OUTER_ENV, str(os.getpid())) == str(os.getpid())


#: Options whose value(s) the rebuild command replaces or drops.
_DROP_FLAGS = {"-n", "--dry-run", "--dryrun", "--dry_run"}
_FORCE_OPTIONS = {"-R", "--forcerun", "--force-run"}


def _program(argv0: str, cwd: str) -> list[str]:
    """How to call snakemake as this process was called, pasteable in ``cwd``."""

    def short(path: str) -> str:
        rel = os.path.relpath(path, cwd)
        return rel if not rel.startswith("..") else path

    if Path(argv0).name == "__main__.py":  # python -m snakemake
        return [short(sys.executable), "-m", "snakemake"]
    name = Path(argv0).name
    on_path = shutil.which(name)
    if on_path and os.path.realpath(on_path) == os.path.realpath(argv0):
        return [name]
    return [short(os.path.abspath(argv0))]


def rerun_base(argv: list[str], cwd: str = ".") -> str:
    """The command line that started the workflow, pasteable, without its dry-run flag and
    --forcerun files: append ``--forcerun FILE …`` to rebuild those files."""
    args, skipping = [], False
    for arg in argv[1:]:
        if skipping and not arg.startswith("-"):
            continue
        skipping = False
        if arg in _FORCE_OPTIONS:
            skipping = True
        elif arg.split("=", 1)[0] in _FORCE_OPTIONS or arg in _DROP_FLAGS:
            continue
        else:
            args.append(arg)
    return shlex.join([*_program(argv[0], cwd), *args])
