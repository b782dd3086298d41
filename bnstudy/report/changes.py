"""What changed since the last build: the report's own ``dvc metrics diff``.

At the end of a successful render the report snapshots what its verdicts and
numbers come from, the claims table and each family's per-seed summary, into a
folder next to it (``results/report/last_build/``). The next render reads that
snapshot *before* replacing it and lists:

* families and configurations added or removed;
* claims whose verdict changed (and claims added or removed);
* metrics that moved beyond their interval: per configuration, a table metric
  whose new mean lies outside the previous build's interval, or whose number of
  diverged seeds changed.

The snapshot is replaced atomically: it is written to a temporary folder that is
renamed into place, and its manifest is written last, so a snapshot without a
manifest is never read. A crash between the two renames leaves the previous
snapshot under ``.last_build.old``, which is read instead.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from bnstudy.io import read_table
from bnstudy.stats import aggregate

MANIFEST = "manifest.json"
CLAIMS = "claims.csv"
SUMMARIES = "summaries"

#: (metric, readable name, geometric mean?) of the numbers compared for one family.
MetricsFor = Callable[[str, pd.DataFrame], list[tuple[str, str, bool]]]


def save_snapshot(
    folder: str | os.PathLike,
    claims: pd.DataFrame,
    summaries: Mapping[str, pd.DataFrame],
    manifest: Mapping,
) -> None:
    """Replace the snapshot in ``folder`` with these claims and summaries, atomically."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    old = folder.parent / f".{folder.name}.old"
    try:
        claims.to_csv(tmp / CLAIMS, index=False)
        (tmp / SUMMARIES).mkdir()
        for family, summary in summaries.items():
            summary.to_csv(tmp / SUMMARIES / f"{family}_summary.csv", index=False)
        # The manifest last: its presence says the snapshot is complete.
        body = {**manifest, "families": list(summaries)}
        (tmp / MANIFEST).write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
        os.chmod(tmp, 0o755)  # mkdtemp makes it private
        if old.exists():
            shutil.rmtree(old)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_snapshot(folder: str | os.PathLike) -> dict | None:
    """The previous build's manifest, claims and summaries, or None if there is none."""
    folder = Path(folder)
    for candidate in (folder, folder.parent / f".{folder.name}.old"):
        manifest = candidate / MANIFEST
        if not manifest.is_file():
            continue
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        summaries = {
            family: read_table(candidate / SUMMARIES / f"{family}_summary.csv")
            for family in meta.get("families", [])
            if (candidate / SUMMARIES / f"{family}_summary.csv").is_file()
        }
        claims = read_table(candidate / CLAIMS) if (candidate / CLAIMS).is_file() else None
        return {"manifest": meta, "claims": claims, "summaries": summaries}
    return None


def _verdicts(claims: pd.DataFrame | None) -> dict[str, dict]:
    if claims is None or claims.empty:
        return {}
    return {str(r["claim"]): r for r in claims.to_dict("records")}


def _moved(
    family: str, before: pd.DataFrame, after: pd.DataFrame, metrics: list[tuple[str, str, bool]]
) -> tuple[list[dict], int]:
    """Metrics of the configurations in both builds that left their previous interval."""
    moved, compared = [], 0
    common = sorted(set(before["config_id"]) & set(after["config_id"]))
    if not common:
        return moved, compared
    before = before[before["config_id"].isin(common)]
    after = after[after["config_id"].isin(common)]
    for metric, name, log in metrics:
        if metric not in before or metric not in after:
            continue
        old = aggregate(before, ["config_id"], metric, log=log).set_index("config_id")
        new = aggregate(after, ["config_id"], metric, log=log).set_index("config_id")
        for cid in common:
            o, n = old.loc[cid], new.loc[cid]
            lo, hi = float(o["ci_low"]), float(o["ci_high"])
            if not (np.isfinite(lo) and np.isfinite(hi) and np.isfinite(n["mean"])):
                continue
            compared += 1
            if lo <= n["mean"] <= hi:
                continue
            moved.append(
                {
                    "family": family,
                    "config_id": cid,
                    "metric": name,
                    "before": float(o["mean"]),
                    "before_low": lo,
                    "before_high": hi,
                    "after": float(n["mean"]),
                    "after_low": float(n["ci_low"]),
                    "after_high": float(n["ci_high"]),
                    "change": float(n["mean"] / o["mean"] - 1) if o["mean"] else np.nan,
                }
            )
    div_old = before.groupby("config_id")["diverged"].agg(["sum", "size"])
    div_new = after.groupby("config_id")["diverged"].agg(["sum", "size"])
    for cid in common:
        (k0, n0), (k1, n1) = div_old.loc[cid], div_new.loc[cid]
        compared += 1
        if (k0, n0) != (k1, n1):
            moved.append(
                {
                    "family": family,
                    "config_id": cid,
                    "metric": "diverged seeds",
                    "diverged_before": f"{int(k0)} of {int(n0)}",
                    "diverged_after": f"{int(k1)} of {int(n1)}",
                }
            )
    return moved, compared


def compare(
    previous: dict | None,
    claims: pd.DataFrame,
    summaries: Mapping[str, pd.DataFrame],
    metrics_for: MetricsFor,
) -> dict:
    """The differences between the previous build (``load_snapshot``) and this one."""
    if previous is None:
        return {"first_build": True}
    before = previous["summaries"]
    families_now = [f for f, s in summaries.items() if not s.empty]
    configs = []
    moved: list[dict] = []
    compared = 0
    for family in families_now:
        ids_now = set(summaries[family]["config_id"])
        ids_then = set(before[family]["config_id"]) if family in before else set()
        if family in before and ids_now != ids_then:
            configs.append(
                {
                    "family": family,
                    "added": sorted(ids_now - ids_then),
                    "removed": sorted(ids_then - ids_now),
                }
            )
        if family in before:
            got, n = _moved(
                family, before[family], summaries[family], metrics_for(family, summaries[family])
            )
            moved += got
            compared += n
    then, now = _verdicts(previous["claims"]), _verdicts(claims)
    verdicts = [
        {"claim": c, "before": then[c], "after": now[c]}
        for c in now
        if c in then and str(then[c]["verdict"]) != str(now[c]["verdict"])
    ]
    added = {
        "families": [f for f in families_now if f not in before],
        "claims": [c for c in now if c not in then],
    }
    removed = {
        "families": [f for f in before if f not in families_now],
        "claims": [c for c in then if c not in now],
    }
    changed = bool(configs or moved or verdicts or any(added.values()) or any(removed.values()))
    return {
        "first_build": False,
        "manifest": previous["manifest"],
        "configs": configs,
        "verdicts": verdicts,
        "moved": moved,
        "n_compared": compared,
        "added": added,
        "removed": removed,
        "changed": changed,
    }
