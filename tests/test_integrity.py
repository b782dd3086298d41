"""A run records what it wrote; any later change to its files is caught and named.

Unit tests of ``bnstudy.integrity`` (the record a training job keeps of its files),
``bnstudy.audit`` (a run's files against that record and against what its
configuration must contain; the command that rebuilds it) and of the collect
step's refusal of a damaged run. The workflow-level behaviour (a damaged run stops
the next run, a deleted one is retrained) is in tests/test_damaged_runs.py.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from workflow_helpers import train_job

from bnstudy import audit, integrity
from bnstudy.config import TrainConfig
from bnstudy.data import save_dataset
from bnstudy.tables import collect_family

NAMES = ["metrics.csv", "timing.csv", "sweep.csv", "config.json"]
#: Some seeds of this BN-free ReLU net diverge on poly2_small (tests/test_failures.py).
MIXED = TrainConfig(depth=3, act="relu", bn="none", lr=0.35, batch_size=16, epochs=4)
HEALTHY = TrainConfig(depth=1, act="tanh", bn="pre", lr=0.03, batch_size=16, epochs=3)
RANGE = TrainConfig(depth=2, schedule="range_test", lr=1e-4, range_end=10.0, epochs=3)
SWEEP = TrainConfig(depth=1, bn="pre", lr=0.03, lr_sweep=(0.01, 0.1), batch_size=16, epochs=2)


@pytest.fixture(scope="module")
def data_path(tmp_path_factory, poly2_small):
    path = tmp_path_factory.mktemp("data") / "poly2.pt"
    save_dataset(poly2_small, path)
    return str(path)


def _run(root: Path, data_path: str, config_id: str, cfg: TrainConfig, seeds=(0, 1, 2)) -> Path:
    train_job(root, data_path, config_id, cfg, seeds, files=("metrics", "timing", "sweep"))
    return root / "fam" / config_id


@pytest.fixture(scope="module")
def runs(tmp_path_factory, data_path):
    root = tmp_path_factory.mktemp("runs")
    made = {
        "healthy": _run(root, data_path, "bn~pre", HEALTHY),
        "mixed": _run(root, data_path, "bn~none", MIXED, seeds=range(6)),
        "range": _run(root, data_path, "schedule~range_test", RANGE),
        "sweep": _run(root, data_path, "lr_sweep", SWEEP),
    }
    return made


@pytest.fixture
def run(runs, tmp_path):
    """A fresh copy of the healthy run to damage."""
    folder = tmp_path / "fam" / "bn~pre"
    folder.mkdir(parents=True)
    for name in NAMES:
        (folder / name).write_bytes((runs["healthy"] / name).read_bytes())
    return folder


def test_a_run_records_each_file_it_wrote(runs):
    resolved = json.loads((runs["healthy"] / "config.json").read_text())
    records = resolved[integrity.RECORD_KEY]
    assert set(records) == {"metrics.csv", "timing.csv", "sweep.csv"}
    lines = (runs["healthy"] / "metrics.csv").read_text().splitlines()
    assert records["metrics.csv"]["rows"] == len(lines) - 1 > 0
    assert records["timing.csv"]["rows"] == 3 * 3  # seeds × epochs
    assert records["sweep.csv"]["rows"] == 0  # no lr_sweep


@pytest.mark.parametrize("kind", ["healthy", "mixed", "range", "sweep"])
def test_every_kind_of_run_is_complete_as_written(runs, kind):
    """Diverged seeds, an LR range test stopped early and an lr sweep hold what their
    configuration must contain, so the structure check passes them."""
    state = audit.check_run(runs[kind], NAMES, structure=True)
    assert state.complete, (state.missing, state.damaged)
    if kind == "mixed":  # some of its seeds diverged, some did not
        text = (runs[kind] / "metrics.csv").read_text()
        assert ",diverged,1.0" in text and ",diverged,0.0" in text


def _damage(folder: Path, kind: str) -> str:
    """Damage ``folder``'s metrics.csv (or config.json) as ``kind`` says; the file named."""
    path = folder / ("config.json" if kind == "half_config" else "metrics.csv")
    data = path.read_bytes()
    lines = data.decode().splitlines(keepends=True)
    if kind in ("truncated", "half_config"):
        path.write_bytes(data[: len(data) // 2])
    elif kind == "row_deleted":
        path.write_text("".join(lines[:5] + lines[6:]))
    elif kind == "row_added":
        path.write_text("".join(lines + [lines[-1]]))
    elif kind == "value_edited":
        seed, epoch, metric, value = lines[3].rstrip("\n").split(",")
        lines[3] = f"{seed},{epoch},{metric},{float(value) * 2}\n"
        path.write_text("".join(lines))
    elif kind == "deleted":
        path.unlink()
    return str(path)


DAMAGE = {
    "truncated": "row(s) where its job wrote",
    "row_deleted": "cut short or rows deleted",
    "row_added": "rows added",
    "value_edited": "changed since its job wrote it (SHA-256 differs",
    "half_config": "not readable JSON",
}


@pytest.mark.parametrize("kind, why", DAMAGE.items(), ids=list(DAMAGE))
def test_each_damage_is_caught_naming_the_file(run, kind, why):
    path = _damage(run, kind)
    state = audit.check_run(run, NAMES)
    assert not state.complete and not state.missing
    assert len(state.damaged) == 1 and state.damaged[0].startswith(f"{path}: ")
    assert why in state.damaged[0]


def test_a_deleted_file_is_missing_not_damaged(run):
    _damage(run, "deleted")
    state = audit.check_run(run, NAMES)
    assert state.missing == ["metrics.csv"] and not state.damaged and not state.complete
    (run / "config.json").unlink()
    assert audit.check_run(run, NAMES).missing == ["metrics.csv", "config.json"]


def _without_record(folder: Path) -> None:
    resolved = json.loads((folder / "config.json").read_text())
    del resolved[integrity.RECORD_KEY]
    (folder / "config.json").write_text(json.dumps(resolved))


def _drop_rows(path: Path, keep) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + "".join(x for x in lines[1:] if keep(x.split(","))))


def test_a_run_without_a_record_is_checked_against_its_configuration(run):
    _without_record(run)
    assert audit.check_run(run, NAMES).complete  # as written: nothing to say
    _drop_rows(
        run / "metrics.csv", lambda r: not (r[0] == "1" and r[1] == "2" and r[2] == "train_loss")
    )
    state = audit.check_run(run, NAMES)
    assert state.damaged == [
        f"{run / 'metrics.csv'}: seed 1 has train_loss for 2 epochs, expected 3"
    ]
    _drop_rows(run / "metrics.csv", lambda r: r[0] != "1")
    assert audit.check_run(run, NAMES).damaged == [
        f"{run / 'metrics.csv'}: holds seeds [0, 2], its configuration [0, 1, 2]"
    ]


def test_the_structure_check_covers_timing_and_the_end_of_a_run(run):
    _without_record(run)
    _drop_rows(run / "timing.csv", lambda r: r[:2] != ["2", "3"])
    assert audit.check_run(run, NAMES).damaged == [
        f"{run / 'timing.csv'}: seed 2 has 2 epoch times, expected 3"
    ]
    (run / "timing.csv").write_bytes(b"seed,epoch,seconds\n0,1\n")
    assert "line 2 has 2 fields, expected 3" in audit.check_run(run, NAMES).damaged[0]
    _drop_rows(run / "metrics.csv", lambda r: r[2] != "diverged")
    why = audit.structure_problem(
        run / "metrics.csv", json.loads((run / "config.json").read_text())
    )
    assert why == f"{run / 'metrics.csv'}: seed 0 has 0 end-of-run rows (diverged), expected 1"


def test_collecting_a_damaged_run_stops_naming_the_file_and_the_command(run, tmp_path, monkeypatch):
    monkeypatch.setenv(audit.RERUN_ENV, ".venv/bin/snakemake --cores 2")
    path = _damage(run, "row_deleted")
    out = {k: str(tmp_path / f"{k}.csv") for k in ("table_out", "summary_out", "runs_out")}
    with pytest.raises(audit.RunDamaged) as err:
        collect_family([path], [str(run / "timing.csv")], [str(run / "config.json")], **out)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and "cut short or rows deleted" in message
    assert message.endswith(f"; rebuild it with: .venv/bin/snakemake --cores 2 --forcerun '{path}'")
    assert not any(os.path.exists(p) for p in out.values())


def test_a_config_json_that_does_not_read_is_named():
    with pytest.raises(audit.RunDamaged, match=r"x\.json: not readable JSON"):
        audit.load_resolved(_write("x.json", '{"family": "lr", "conf'))
    with pytest.raises(audit.RunDamaged, match=r"y\.json: not a run's resolved configuration"):
        audit.load_resolved(_write("y.json", "[1, 2]"))


def _write(name: str, text: str) -> str:
    import tempfile

    path = Path(tempfile.mkdtemp()) / name
    path.write_text(text)
    return str(path)


# ---- what the user is told ----------------------------------------------------------------


def test_the_rebuild_command_is_the_one_that_started_the_run(tmp_path):
    argv = [".venv/bin/snakemake", "-n", "--cores", "2", "--configfile", "c.yaml"]
    argv += ["--forcerun", "results/a.csv", "results/b.csv", "--keep-going", "--forcerun=x"]
    argv += ["-R", "y"]
    assert audit.rerun_base(argv, cwd=".") == (
        ".venv/bin/snakemake --cores 2 --configfile c.yaml --keep-going"
    )
    module = audit.rerun_base(["/x/site-packages/snakemake/__main__.py", "--cores", "1"], cwd="/")
    assert module == f"{os.path.relpath(sys.executable, '/')} -m snakemake --cores 1"
    quoted = audit.rerun_base(["snakemake", "--configfile", "my config.yaml", "-c1"])
    assert quoted.endswith("--configfile 'my config.yaml' -c1")


def test_what_counts_as_forced():
    state = audit.RunState("lr", "bn~pre/lr~0.1", Path("results/runs/lr/bn~pre/lr~0.1"))
    assert audit.is_forced(state, NAMES, ["results/runs/lr/bn~pre/lr~0.1/config.json"])
    assert audit.is_forced(state, NAMES, ["./results/runs/lr/bn~pre/lr~0.1/metrics.csv"])
    assert audit.is_forced(state, NAMES, ["train_config"])
    assert audit.is_forced(state, NAMES, [], forceall=True)
    assert not audit.is_forced(state, NAMES, ["results/runs/lr/bn~pre/lr~0.3/metrics.csv"])


def test_lost_and_damaged_runs_are_reported():
    lost = [
        audit.RunState("depth", f"depth~{i}", Path(f"r/depth/depth~{i}"), missing=["metrics.csv"])
        for i in range(12)
    ]
    lines = audit.lost_report(audit.lost_runs(lost, collected={"depth"}), {"depth": 20})
    assert lines[0].startswith("12 run(s) have files missing (deleted, or made before")
    assert lines[1] == "  r/depth/depth~0: metrics.csv missing" and lines[-1] == "  … and 2 more"
    family = audit.lost_report(lost, {"depth": 12})  # every run of the family: one line
    assert family[1:] == ["  r/depth: all 12 runs of family depth"]
    assert audit.lost_runs(lost, collected=set()) == []  # never collected: not run yet
    damaged = [audit.RunState("lr", "a", Path("r/lr/a"), damaged=["r/lr/a/metrics.csv: why"])]
    assert audit.damaged_report(damaged, NAMES, "snakemake --cores 2") == [
        "1 run(s) are damaged: their files are not what their jobs wrote",
        "  r/lr/a/metrics.csv: why",
        "Rebuild them with: snakemake --cores 2 --forcerun r/lr/a/metrics.csv",
    ]
