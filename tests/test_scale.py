"""The size of a study, said before it runs, and the stop above a limit (bnstudy.scale).

The workflow-level behaviour (the plan printed, a run above a limit stopped before
any job, confirmed by a flag or a key) is in tests/test_bad_config.py.
"""

from __future__ import annotations

import pytest

from bnstudy import scale

DATASETS = {
    "n_samples": 1000,
    "train_fraction": 0.7,
    "n_val": 300,
    "images": {"n_train": 60000, "n_val": 5000, "n_test": 10000},
}
LIMITS = {"max_trainings": 1000, "max_cpu_hours": 24, "confirm_scale": False}


def _cfg(family="lr", config_id="lr~0.1", **values) -> dict:
    base = {"dataset": "poly2", "model": "mlp", "lr": 0.1, "epochs": 40}
    return {"family": family, "config_id": config_id, **base, **values}


def test_work_is_seeds_times_lrs_times_epochs_times_training_samples():
    assert scale.work_of(_cfg(), [0, 1, 2, 3, 4], DATASETS) == 5 * 40 * 700
    swept = _cfg(lr_sweep=[0.01, 0.1, 1.0])  # its own lr is one of the three
    assert scale.work_of(swept, [0, 1], DATASETS) == 2 * 3 * 40 * 700
    image = _cfg(dataset="images", model="lenet", epochs=10)
    assert scale.work_of(image, [0], DATASETS) == 10 * 55000  # validation images held out
    assert scale.work_of({**image, "validation": False}, [0], DATASETS) == 10 * 60000


def _plan(n: int, on_disk=None, seeds=(0, 1)) -> list[scale.Training]:
    configs = {"lr": {f"lr~{i}": _cfg(config_id=f"lr~{i}", lr=0.1 * (i + 1)) for i in range(n)}}
    return scale.plan_study(configs, {"lr": list(seeds)}, DATASETS, on_disk or {})


def test_a_run_on_disk_with_this_configuration_and_seeds_is_done():
    configs = {"lr": {"lr~0": _cfg(config_id="lr~0")}}
    done = {
        ("lr", "lr~0"): {"seeds": [0, 1], "config": scale.recorded_config(configs["lr"]["lr~0"])}
    }
    assert [t.done for t in scale.plan_study(configs, {"lr": [0, 1]}, DATASETS, done)] == [True]
    assert not scale.plan_study(configs, {"lr": [0, 1, 2]}, DATASETS, done)[0].done
    changed = {("lr", "lr~0"): {**done[("lr", "lr~0")], "config": {"epochs": 3}}}
    assert not scale.plan_study(configs, {"lr": [0, 1]}, DATASETS, changed)[0].done


def test_the_plan_is_one_line_and_a_small_one_runs():
    line, stop = scale.check_scale(_plan(3), {}, LIMITS)
    assert stop is None
    assert line.startswith("plan: 3 trainings in 1 families; to train now: 3 (1.68e+05 ")
    assert "default rates: no earlier run to measure" in line
    line, stop = scale.check_scale(_plan(3), {"mlp": 1e-6}, LIMITS)
    assert "mlp at this machine's rates in the last runs' epoch times" in line
    done = [scale.Training("lr", "x", "mlp", 1.0, done=True)]
    assert scale.check_scale(done, {}, LIMITS) == (
        "plan: 1 trainings in 1 families, all trained",
        None,
    )


def test_too_many_trainings_stop_unless_confirmed():
    _, stop = scale.check_scale(_plan(12), {}, {**LIMITS, "max_trainings": 10})
    assert stop.startswith("this run is larger than its limits (12 trainings > max_trainings = 10)")
    assert "stopped before any job" in stop and "--config confirm_scale=true" in stop
    confirmed = {**LIMITS, "max_trainings": 10, "confirm_scale": True}
    assert scale.check_scale(_plan(12), {}, confirmed)[1] is None


def test_too_much_cpu_time_stops_unless_confirmed():
    plan = _plan(2, seeds=range(1_000_000))  # 2 × 1e6 seeds × 40 epochs × 700 samples
    _, stop = scale.check_scale(plan, {}, LIMITS)
    assert "CPU-hours > max_cpu_hours = 24" in stop
    assert scale.check_scale(plan, {}, {**LIMITS, "confirm_scale": True})[1] is None
    assert scale.cpu_seconds(plan, {"mlp": 1e-9}) == pytest.approx(2 * (1.5 + 28.0))


def test_rates_come_from_the_runs_epoch_times(tmp_path):
    folder = tmp_path / "lr" / "lr~0"
    folder.mkdir(parents=True)
    (folder / "timing.csv").write_text("seed,epoch,seconds\n0,1,0.5\n0,2,0.5\n1,1,1.0\n1,2,1.0\n")
    cfg = scale.recorded_config(_cfg(epochs=2))
    on_disk = {("lr", "lr~0"): {"seeds": [0, 1], "config": cfg}, ("lr", "gone"): {}}
    rates = scale.measured_rates(on_disk, DATASETS, str(tmp_path))
    assert rates == {"mlp": pytest.approx(3.0 / (2 * 2 * 700))}
