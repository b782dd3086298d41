"""The seven generic judges: each turns one family's per-seed summaries into a verdict.

A judge takes a family's summary table (``bnstudy.summary.summarize``, with any
derived metric the claim reads added) and a :class:`~bnstudy.claims.verdict.Claim`,
pairs the seeds' effects across the cells the claim contrasts, and returns an
outcome from ``decide`` (``suggestion_error`` also takes the claim's reference
family's table). A missing grid level raises ``Undecidable``: inconclusive with
the reason. :data:`JUDGES` maps a claim's ``test`` to its judge. First the
helpers that select levels and pair seeds, then the judges, then ``profile``,
the per-cell means some claims add to their detail.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from bnstudy.claims.verdict import (
    BEST_OTHER,
    INCONCLUSIVE,
    NOT_RUN,
    SUPPORTED,
    Claim,
    Undecidable,
    decide,
    decide_by,
    join_notes,
    numbers_text,
    outcome,
)

# ---- selecting and pairing -------------------------------------------------------------


def _as_list(v) -> list:
    return list(v) if isinstance(v, list | tuple) else [v]


def _spec_text(spec) -> str:
    if isinstance(spec, dict):
        ends = [
            f"≥ {spec['from']}" if "from" in spec else "",
            f"≤ {spec['to']}" if "to" in spec else "",
        ]
        return " and ".join(e for e in ends if e)
    return "/".join(map(str, _as_list(spec)))


def _levels(df: pd.DataFrame, col: str, spec) -> list:
    """The grid levels of ``col`` that ``spec`` names, in grid order.

    A spec is a level, a list of levels (those the grid has), "min"/"max" (the
    grid's ends) or ``{"from": a, "to": b}`` (the levels in [a, b], either end
    optional). Naming no level the grid has is undecidable.
    """
    if col not in df:
        raise Undecidable(f"the summaries have no {col} column")
    have = sorted(df[col].dropna().unique())
    if isinstance(spec, dict):
        lo, hi = spec.get("from", -math.inf), spec.get("to", math.inf)
        picked = [v for v in have if lo <= v <= hi]
    elif spec in ("min", "max"):
        picked = have[:1] if spec == "min" else have[-1:]
    else:
        picked = [v for v in have if v in _as_list(spec)]
    if not picked:
        raise Undecidable(f"{col} {_spec_text(spec)} missing from the grid")
    return picked


def _select(df: pd.DataFrame, where: dict) -> pd.DataFrame:
    """Rows whose columns take the levels ``where`` names (level specs, see _levels)."""
    for col, spec in where.items():
        df = df[df[col].isin(_levels(df, col, spec))]
    return df


def _require(df: pd.DataFrame, col: str, levels) -> None:
    missing = [v for v in _as_list(levels) if not (df[col] == v).any()]
    if missing:
        raise Undecidable(f"{col} {'/'.join(map(str, missing))} missing from the grid")


def _in_cell(df: pd.DataFrame, cell: dict) -> pd.Series:
    """Mask of the rows in a cell: column → list of levels."""
    mask = pd.Series(True, index=df.index)
    for col, levels in cell.items():
        mask &= df[col].isin(levels)
    return mask


def _label(cell: dict) -> str:
    return "/".join(f"{col} {'/'.join(map(str, levels))}" for col, levels in cell.items())


def _usable(summary: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Copy with the metrics blanked for diverged seeds: such numbers are not results."""
    df = summary.copy()
    df.loc[df["diverged"] == 1, metrics] = np.nan
    return df


def _recorded(df: pd.DataFrame, metrics: list[str]) -> None:
    """A metric the runs never recorded (e.g. dead_frac without ReLU) cannot decide a claim."""
    for m in metrics:
        if m not in df or df[m].isna().all():
            raise Undecidable(f"no finite {m} in the selected runs (not recorded or diverged)")


def _log(values: pd.Series) -> pd.Series:
    values = values.astype(float)
    return np.log(values.where(values > 0))


def _wide(df: pd.DataFrame, keys: list[str], values: pd.Series, seeds, need=None) -> pd.DataFrame:
    """Seeds × cells table of ``values`` over the full cross of the keys' levels.

    A cell with no run at all makes the claim undecidable (``need`` names levels
    that must be there even if absent from ``df``). A seed missing any cell is
    blanked whole: later means over cells then never mix seeds that averaged
    different cells, and the seed still counts as a dropped pair.
    """
    need = need or {}
    levels = [need.get(k) or sorted(df[k].unique()) for k in keys]
    present = set(df[keys].itertuples(index=False, name=None))
    missing = [cell for cell in itertools.product(*levels) if cell not in present]
    if missing:
        cells = ["/".join(f"{k} {v}" for k, v in zip(keys, c, strict=True)) for c in missing]
        raise Undecidable(f"no runs for {', '.join(cells[:4])}" + (" …" if len(cells) > 4 else ""))
    frame = df[["seed", *keys]].assign(_v=values.to_numpy(dtype=float))
    if frame.duplicated(["seed", *keys]).any():
        raise Undecidable(f"several configurations per ({', '.join(keys)}, seed)")
    wide = frame.set_index(["seed", *keys])["_v"].unstack(keys).reindex(seeds)
    wide.loc[wide.isna().any(axis=1)] = np.nan
    return wide


def _fmt(levels: dict) -> str:
    return ", ".join(f"{k}: {v:.3g}" for k, v in levels.items())


def _diverged(df: pd.DataFrame, keys: list[str]) -> str:
    """Which cells of ``df`` had diverged seeds, e.g. "diverged: bn pre/batch_size 2 (3 of 5)"."""
    counts = df.groupby(keys)["diverged"].agg(["sum", "size"])
    cells = [
        "/".join(f"{k} {v}" for k, v in zip(keys, _as_list(key), strict=True))
        + f" ({int(row['sum'])} of {int(row['size'])})"
        for key, row in counts[counts["sum"] > 0].iterrows()
    ]
    return f"diverged: {', '.join(cells)}" if cells else ""


def _stable_levels(sub: pd.DataFrame, over: str) -> tuple[list, list]:
    """(levels of ``over`` where no seed of any arm diverged, the others) of some rows."""
    bad = sub.groupby(over)["diverged"].max() == 1
    return sorted(bad.index[~bad]), sorted(bad.index[bad])


# ---- judges: each takes one family's summary and a claim, returns an outcome ---------
# (suggestion_error also takes the claim's reference family's summary.)


def gain_contrast(df: pd.DataFrame, claim: Claim) -> dict:
    """BN gain log(without/with) at the ``high`` levels of ``over`` minus at the ``low`` ones.

    ``high``/``low`` are level specs (see _levels); the gain is averaged per seed
    over the chosen levels and the cells of the columns in ``average_over``. The
    arms are levels of ``arm_col`` (default bn: none vs pre). With ``high_helps``
    support also needs the gain at the high levels alone to be above 0.
    """
    p, seeds, over = claim.params, sorted(df["seed"].unique()), claim.params["over"]
    col = p.get("arm_col", "bn")
    without, with_ = p.get("arms", ("none", "pre"))
    df = _select(_usable(df, [claim.metric]), p.get("where", {}))
    _require(df, col, [without, with_])
    lows, highs = _levels(df, over, p["low"]), _levels(df, over, p["high"])
    if lows == highs:
        raise Undecidable(f"only one {over} level ({lows[0]}) in the grid")
    if set(lows) & set(highs):
        raise Undecidable(f"{over} {_spec_text(p['low'])} and {_spec_text(p['high'])} overlap")
    df = df[df[over].isin(lows + highs) & df[col].isin([without, with_])]
    keys = [col, over, *p.get("average_over", [])]
    wide = _wide(
        df, keys, _log(df[claim.metric]), seeds, {col: [without, with_], over: lows + highs}
    )
    gain = wide.xs(without, level=col, axis=1) - wide.xs(with_, level=col, axis=1)
    by_level = gain.T.groupby(level=over).mean().T  # seeds × levels of over
    high_gain, low_gain = by_level[highs].mean(axis=1), by_level[lows].mean(axis=1)
    mean_gain = {f"{over} {lv}": by_level[lv].mean() for lv in by_level.columns}
    ratio = f"{without}/{with_}" if col == "bn" else f"{col} {without}/{with_}"
    notes = [f"mean BN gain log({ratio}): {_fmt(mean_gain)}", _diverged(df, keys)]
    result = decide(high_gain - low_gain, detail=join_notes(*notes))
    if p.get("high_helps"):
        helps = decide(high_gain)
        result["detail"] = join_notes(
            result["detail"],
            f"gain at {over} {_spec_text(p['high'])}: {numbers_text(helps)} ({helps['verdict']})",
        )
        if result["verdict"] == SUPPORTED and helps["verdict"] != SUPPORTED:
            result["verdict"] = INCONCLUSIVE
            result["detail"] += " — the trend holds but BN does not clearly help at the high end"
    return result


def arm_contrast(df: pd.DataFrame, claim: Claim) -> dict:
    """Per seed: f(metric) in arm a minus in arm b, each averaged over its cells; f = log or id.

    An arm is a level spec of ``arm_col`` (default bn) or a dict column → level
    spec; its levels and the cells of the ``average_over`` columns are averaged per
    seed. Arm a may be BEST_OTHER: of the cells of the ``cells`` columns outside
    arm b, the one with the lowest mean (so a − b > 0 says "b beats the best of the
    rest"; picking the best after seeing it favours the rest: a conservative test).
    ``drop_diverged`` (explicit arms only) names a column whose levels are left
    out where a seed of either arm diverged. ``threshold``/``sense``: what the
    claim expects of the effect (see decide).
    """
    p, seeds, metric = claim.params, sorted(df["seed"].unique()), claim.metric
    where = p.get("where", {})
    df = _select(_usable(df, [metric]), where)
    at = "/".join(f"{col} {_spec_text(sorted(df[col].unique()))}" for col in where)
    a, b = (_arm(df, arm, p.get("arm_col", "bn")) for arm in p["arms"])
    if a == b:
        raise Undecidable(f"both arms are {_label(a)}: the grid cannot contrast them")
    notes = []
    if "drop_diverged" in p:
        col = p["drop_diverged"]
        used, excluded = _stable_levels(df[_in_cell(df, a) | _in_cell(df, b)], col)
        if not used:
            raise Undecidable(f"every {col} level diverged in some seed")
        if excluded:
            notes.append(f"{col} {_spec_text(excluded)} excluded (diverged)")
        df = df[df[col].isin(used)]
    _recorded(df, [metric])
    values = _log(df[metric]) if p.get("log", True) else df[metric].astype(float)
    average_over = p.get("average_over", [])
    need = {c: sorted(df[c].unique()) for c in average_over}

    def per_seed(arm: dict) -> pd.Series:
        rows = df[_in_cell(df, arm)]
        wide = _wide(rows, [*arm, *average_over], values[rows.index], seeds, {**arm, **need})
        return wide.mean(axis=1)

    label_a = "best other ({})" if a == BEST_OTHER else "{}"
    if a == BEST_OTHER:
        a = _best_other(df, p["cells"], b, per_seed)
    in_a, in_b = per_seed(a), per_seed(b)
    means = {label_a.format(_label(a)): in_a.mean(), _label(b): in_b.mean()}
    kind = "log " if p.get("log", True) else ""
    notes.insert(0, f"{'at ' + at + ': ' if at else ''}mean {kind}{metric} per arm: {_fmt(means)}")
    rows = df[_in_cell(df, a) | _in_cell(df, b)]
    notes.append(_diverged(rows, list(dict.fromkeys([*a, *b, *average_over]))))
    return decide_by(in_a - in_b, p, join_notes(*notes))


def _arm(df: pd.DataFrame, arm, col: str) -> dict | str:
    """An arm spec (a level spec of ``col``, or column → level spec) as column → grid levels."""
    if arm == BEST_OTHER:
        return arm
    spec = arm if isinstance(arm, dict) else {col: arm}
    return {c: _levels(df, c, s) for c, s in spec.items()}


def _best_other(df: pd.DataFrame, cols: list[str], arm: dict, per_seed) -> dict:
    """Of the cells of ``cols`` outside ``arm``, the one with the lowest mean of ``per_seed``."""
    cells = [
        {c: [v] for c, v in zip(cols, cell, strict=True)}
        for cell in df[cols].drop_duplicates().itertuples(index=False, name=None)
    ]
    others = [cell for cell in cells if not all(cell[c][0] in arm.get(c, []) for c in cols)]
    means = [per_seed(cell).mean() for cell in others]
    finite = [i for i, m in enumerate(means) if np.isfinite(m)]
    if not finite:
        raise Undecidable(f"no other {'/'.join(cols)} cell with a finite mean")
    return others[min(finite, key=lambda i: means[i])]


def interior_optimum(df: pd.DataFrame, claim: Claim) -> dict:
    """Best end level minus best interior level of the mean log-loss curve over ``over``.

    Positive means an interior level beats both ends (a U shape). With
    ``diverged_is_worst`` a level where any seed of any arm diverged is
    infinitely bad: it can be neither best nor the end the optimum is compared to.
    """
    p, seeds, over = claim.params, sorted(df["seed"].unique()), claim.params["over"]
    df = _select(df, p.get("where", {}))
    levels = sorted(df[over].unique())
    if len(levels) < 3:
        have = ", ".join(map(str, levels))
        raise Undecidable(f"needs at least 3 {over} levels, the grid has {have}")
    ends, excluded = [levels[0], levels[-1]], []
    if p.get("diverged_is_worst", False):
        bad = df.groupby(over)["diverged"].max() == 1
        excluded = [lv for lv in levels if bad[lv]]
        df = df[~df[over].isin(excluded)]
    df = _usable(df, [claim.metric])
    wide = _wide(df, [over, *p.get("average_over", [])], _log(df[claim.metric]), seeds)
    curve = wide.T.groupby(level=over).mean().T  # seeds × finite levels
    means = curve.mean()
    notes = [f"mean log {claim.metric} per {over}: {_fmt(means.to_dict())}"]
    if excluded:
        notes.append(f"{over} {', '.join(map(str, excluded))} excluded (diverged)")
    interior = [lv for lv in means.index if lv not in ends and np.isfinite(means[lv])]
    finite_ends = [lv for lv in ends if lv in means.index and np.isfinite(means[lv])]
    if not interior:
        raise Undecidable("; ".join([*notes, f"no usable interior {over}"]))
    best_in = min(interior, key=lambda lv: means[lv])
    if not finite_ends:
        # Only reachable through divergence: both ends are infinitely bad, so the
        # optimum is interior, but there is no finite contrast to put an interval on.
        notes.append(f"best {over} {best_in} is interior; both end levels diverged")
        return outcome(SUPPORTED, n=curve.notna().all(axis=1).sum(), detail="; ".join(notes))
    best_end = min(finite_ends, key=lambda lv: means[lv])
    best = best_in if means[best_in] < means[best_end] else best_end
    notes.append(f"best {over} {best}; best interior {best_in}, best end {best_end}")
    return decide(curve[best_end] - curve[best_in], detail="; ".join(notes))


def gradient_evenness(df: pd.DataFrame, claim: Claim) -> dict:
    """|log(grad_first/grad_last)| without BN minus with BN, at the deepest depth.

    Supported only if the profile also vanishes toward early layers without BN
    (mean log ratio < 0): a BN that merely tames exploding gradients is another claim.
    """
    p, seeds = claim.params, sorted(df["seed"].unique())
    without, with_ = p.get("arms", ("none", "pre"))
    df = _select(_usable(df, ["grad_first", "grad_last"]), p.get("where", {}))
    _require(df, "bn", [without, with_])
    deepest = df["depth"].max()
    df = df[(df["depth"] == deepest) & df["bn"].isin([without, with_])]
    _recorded(df, ["grad_first", "grad_last"])
    ratio = _log(df["grad_first"]) - _log(df["grad_last"])
    wide = _wide(df, ["bn"], ratio, seeds, {"bn": [without, with_]})
    r_none, r_bn = wide[without], wide[with_]
    detail = (
        f"depth {deepest}: mean grad_first/grad_last {without} {np.exp(r_none.mean()):.3g}, "
        f"{with_} {np.exp(r_bn.mean()):.3g}"
    )
    result = decide(r_none.abs() - r_bn.abs(), detail=detail)
    if result["verdict"] == SUPPORTED and not r_none.mean() < 0:
        result["verdict"] = INCONCLUSIVE
        result["detail"] += "; without BN early-layer gradients do not vanish"
    return result


def spread_contrast(df: pd.DataFrame, claim: Claim) -> dict:
    """Per level of ``per``: spread (std or max−min) over ``over`` of log metric, arm a − arm b.

    Only ``over`` levels where no seed of either arm diverged enter, so both arms
    are measured over the same levels and divergence does not pose as sensitivity.
    The per-seed effect is the mean over the levels of ``per``.
    """
    p, seeds = claim.params, sorted(df["seed"].unique())
    a, b = p["arms"]
    over, per = p.get("over", "lr"), p.get("per", "depth")
    _require(df, "bn", [a, b])
    df = df[df["bn"].isin([a, b])]
    spread = {
        "std": lambda w: w.std(axis=1, ddof=1),
        "range": lambda w: w.max(axis=1) - w.min(axis=1),
    }[p["stat"]]
    per_level, notes = {}, []
    for level, sub in df.groupby(per):
        used, excluded = _stable_levels(sub, over)
        note = f"{per} {level}: {over} {', '.join(map(str, used))} used"
        if excluded:
            note += f", {', '.join(map(str, excluded))} excluded (diverged)"
        notes.append(note)
        if len(used) < 2:
            continue
        sub = _usable(sub[sub[over].isin(used)], [claim.metric])
        wide = _wide(sub, ["bn", over], _log(sub[claim.metric]), seeds, {"bn": [a, b]})
        per_level[level] = spread(wide[a]) - spread(wide[b])
    if not per_level:
        raise Undecidable(
            join_notes(*notes, f"fewer than 2 non-diverging {over} levels at every {per}")
        )
    per_seed = pd.DataFrame(per_level).mean(axis=1, skipna=False)
    return decide(per_seed, detail="; ".join(notes))


def max_stable_lr(df: pd.DataFrame, claim: Claim) -> dict:
    """Per depth: log2 of (largest non-diverging lr with BN / without BN), per seed."""
    p, seeds = claim.params, sorted(df["seed"].unique())
    without, with_ = p.get("arms", ("none", "pre"))
    _require(df, "bn", [without, with_])
    max_ratio, best_ratio, max_lrs = {}, {}, {without: [], with_: []}
    for depth, sub in df.groupby("depth"):
        top, best = {}, {}
        for arm in (without, with_):
            rows = sub[sub["bn"] == arm]
            complete = rows.groupby("seed")["lr"].nunique() == rows["lr"].nunique()
            stable = rows[rows["diverged"] == 0]
            top[arm] = stable.groupby("seed")["lr"].max().where(complete).reindex(seeds)
            max_lrs[arm].append(top[arm])
            finite = stable.dropna(subset=[claim.metric])
            best_rows = finite.loc[finite.groupby("seed")[claim.metric].idxmin()]
            best[arm] = best_rows.set_index("seed")["lr"].where(complete).reindex(seeds)
        max_ratio[depth] = np.log2(top[with_] / top[without])
        best_ratio[depth] = np.log2(best[with_] / best[without])
    per_seed = pd.DataFrame(max_ratio).mean(axis=1, skipna=False)
    best_log2 = pd.DataFrame(best_ratio).mean(axis=1, skipna=False).mean()
    tops = {arm: np.exp(np.log(pd.concat(lrs)).mean()) for arm, lrs in max_lrs.items()}
    notes = [
        f"largest stable lr (geometric mean): {_fmt(tops)}",
        f"best lr ratio {with_}/{without}: {2**best_log2:.3g}x (mean log2 {best_log2:.2f})",
    ]
    if not (df["diverged"] == 1).any():
        notes.append("no arm diverged within the grid")
    return decide(per_seed, detail="; ".join(notes))


def suggestion_error(df: pd.DataFrame, claim: Claim, reference: pd.DataFrame | None) -> dict:
    """Per seed: mean over arms of |log(suggested_lr / the reference family's best lr)|.

    An arm is a cell of the ``arm_cols`` present in both families. Its best lr is
    the grid lr of ``reference`` with the lowest seed-mean log metric, among the
    lrs where no seed diverged (a diverging lr is not a good one whatever its
    other seeds did). An arm whose range tests never suggested an lr is left out.
    """
    if reference is None or reference.empty:
        return outcome(NOT_RUN, detail=f"needs the {claim.reference} family")
    p, seeds, cols = claim.params, sorted(df["seed"].unique()), claim.params["arm_cols"]
    ref = _usable(reference, [claim.metric])
    cells = set(df[cols].itertuples(index=False, name=None))
    cells &= set(ref[cols].itertuples(index=False, name=None))
    if not cells:
        raise Undecidable(f"no {'/'.join(cols)} cell in both {claim.family} and {claim.reference}")
    notes, per_arm = [], []
    for cell in sorted(cells):
        arm = {c: [v] for c, v in zip(cols, cell, strict=True)}
        runs, grid = df[_in_cell(df, arm)], ref[_in_cell(ref, arm)]
        used, _ = _stable_levels(grid, "lr")
        curve = _log(grid[claim.metric]).groupby(grid["lr"]).mean().reindex(used).dropna()
        suggested = _log(runs["suggested_lr"])
        if curve.empty or suggested.isna().all():
            why = "no non-diverging lr in the grid" if curve.empty else "no suggestion"
            notes.append(f"{_label(arm)} left out ({why})")
            continue
        best = curve.idxmin()
        notes.append(
            f"{_label(arm)}: suggested {np.exp(suggested.mean()):.3g} (geometric mean) "
            f"vs best {best:.3g}"
        )
        per_arm.append(runs.assign(_arm=_label(arm), _r=(suggested - math.log(best)).abs()))
    if not per_arm:
        raise Undecidable(join_notes(*notes))
    runs = pd.concat(per_arm)
    wide = _wide(runs, ["_arm"], runs["_r"], seeds)
    return decide_by(wide.mean(axis=1), p, join_notes(*notes))


JUDGES = {
    "gain_contrast": gain_contrast,
    "arm_contrast": arm_contrast,
    "interior_optimum": interior_optimum,
    "gradient_evenness": gradient_evenness,
    "spread_contrast": spread_contrast,
    "max_stable_lr": max_stable_lr,
    "suggestion_error": suggestion_error,
}


# ---- context for a claim's detail ----------------------------------------------------


def profile(df: pd.DataFrame, spec: dict, metric: str) -> str:
    """Mean of a metric per cell of ``spec["by"]`` (with diverged counts), for the detail."""
    metric, by = spec.get("metric", metric), spec["by"]
    try:
        df = _select(df, spec.get("where", {}))
    except Undecidable:
        return ""
    means = _usable(df, [metric]).groupby(by)[metric].mean()
    gone = df.groupby(by)["diverged"].sum()
    cells = []
    for key, mean in means.items():
        text = f"{'/'.join(map(str, _as_list(key)))} {mean:.3g}"
        cells.append(text + (f" ({int(gone[key])} diverged)" if gone[key] else ""))
    out = f"mean {metric} per {'/'.join(by)}: {', '.join(cells)}"
    if spec.get("best") and means.notna().any():
        best = means.idxmin() if spec["best"] == "min" else means.idxmax()
        out += f"; best {'/'.join(by)}: {'/'.join(map(str, _as_list(best)))}"
    return out
