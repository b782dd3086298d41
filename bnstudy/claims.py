"""The claims of STUDY.md §5 as data, and the judges that give each one its verdict.

A claim is a row of data (:class:`Claim`): which family it reads, which generic
judge tests it (a key of :data:`JUDGES`) with which parameters, any further
tests its verdict depends on (:class:`Part`), and one advice sentence per
verdict. :func:`judge_all` turns the per-seed summary tables of
``bnstudy.summary.summarize`` into one verdict row per claim, in STUDY.md order.

Effects are paired by seed: a seed contributes only when every cell its effect
needs is a finite number (diverged seeds have NaN summaries and drop out). The
verdict reads the mean effect's t interval against what the claim says of the
effect (its ``sense``): above a threshold (0, or minus a non-inferiority
margin), below a threshold, or within ±margin (equivalence). Interval entirely
where the claim puts the effect → supported, entirely outside → contradicted,
else inconclusive. A missing grid level or too few seeds makes a claim
inconclusive with the reason, never an exception.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bnstudy.stats import mean_ci

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
NOT_RUN = "not run"
VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_RUN)
COLUMNS = ["claim", "family", "verdict", "effect", "ci_low", "ci_high", "n_seeds", "detail"]

#: Fewer usable paired seeds than this cannot give an interval.
MIN_SEEDS = 2
#: Confidence of every interval a verdict reads.
CONFIDENCE = 0.95
#: "At least as well" tolerates this much: a 5 % worse loss, on the log scale.
MARGIN_5PCT = math.log(1.05)
#: "About as fast": two ``speed`` values (mean log test loss over the epochs) are
#: equivalent within this, i.e. learning curves within 25 % of each other on
#: average (geometric) — well inside the factors of 2–10 between slow and fast runs.
EQUIV_MARGIN = math.log(1.25)
#: "Behaves like" for hand-written vs library BN in LeNet: test errors within 10 %
#: of each other (≈ 1.5 accuracy points at 85 % accuracy). 5 % (under one point)
#: is below the run-to-run spread of chaotic lr-1.0 training, where float rounding
#: alone makes two numerically equal implementations drift apart, so no feasible
#: seed count could show it; the exact match is tested in tests/test_norm.py.
N2_MARGIN = math.log(1.10)
#: The LR range test "predicts a good lr" if it lands within this factor of the best.
RANGE_FACTOR = 3.0
#: The decaying schedules of S1 (cyclic and one-cycle are not monotone decays).
DECAYING = ["halving", "inverse_time", "exponential", "piecewise", "plateau"]
#: An arm of arm_contrast: the best (lowest mean metric) of the other cells.
BEST_OTHER = "best other"

#: Metrics computed from the summary columns before judging.
DERIVED = {
    "test_error": lambda df: 1.0 - df["final_acc"],
    "bn_stat_error": lambda df: df["bn_mean_gap"] + df["bn_var_gap"],
}

#: What ``{ci}`` in an advice template becomes: the effect with its interval.
CI_TEXT = (
    "{effect:.2f}, "
    + f"{CONFIDENCE:.0%}".replace("%", " %")
    + " CI [{ci_low:.2f}, {ci_high:.2f}], "
    "{n_seeds} seeds"
)

#: What ``{ci}`` becomes when the data gave no effect to show (no usable seed pairs).
NO_NUMBERS = "no usable seed pairs, so no effect or interval"


@dataclass(frozen=True)
class Part:
    """A further test a claim's verdict depends on, reported in its detail.

    It runs the claim's judge (or ``test``) on the claim's family (or ``family``)
    with the claim's params updated by ``params``. Its ``role``:

    * ``info``: reported only;
    * ``gate``: the claim is supported only if the part is supported too;
    * ``veto``: a gate whose contradiction contradicts the claim;
    * ``agree``: a second family's test; if one is supported and the other
      contradicted, the claim is inconclusive.
    """

    label: str
    role: str
    params: dict = field(default_factory=dict)
    test: str | None = None
    metric: str | None = None
    family: str | None = None


@dataclass(frozen=True)
class Claim:
    """One rule of thumb of STUDY.md §5 and how its verdict is computed."""

    id: str
    family: str  # the experiment family whose summaries it reads
    statement: str  # the claim as tutorials state it
    metric: str  # the summary metric (or a DERIVED one) the effect is computed from
    test: str  # key of JUDGES
    params: dict = field(default_factory=dict)  # the judge's arguments and thresholds
    advice: dict = field(default_factory=dict)  # verdict -> sentence template
    parts: tuple[Part, ...] = ()  # further tests the verdict depends on
    reference: str | None = None  # a second family the judge compares against (R1)


class _Undecidable(Exception):
    """The data cannot decide the claim (a grid level is missing, ...): inconclusive."""


def _result(verdict, effect=np.nan, low=np.nan, high=np.nan, n=0, detail="") -> dict:
    return dict(
        verdict=verdict,
        effect=float(effect),
        ci_low=float(low),
        ci_high=float(high),
        n_seeds=int(n),
        detail=detail,
    )


def _join(*notes) -> str:
    return "; ".join(n for n in notes if n)


def _numbers(result: dict) -> str:
    return (
        f"{result['effect']:.2f} [{result['ci_low']:.2f}, {result['ci_high']:.2f}], "
        f"{result['n_seeds']} seeds"
    )


def _decide(per_seed: pd.Series, threshold=0.0, detail: str = "", sense: str = ">") -> dict:
    """Verdict from the per-seed effects; non-finite entries are dropped pairs.

    ``sense`` is what the claim says of the effect: ">" above ``threshold``,
    "<" below it, "within" inside ±``threshold``.
    """
    x = per_seed.to_numpy(dtype=float)
    ok = x[np.isfinite(x)]
    mean, low, high, n = mean_ci(ok, confidence=CONFIDENCE)
    notes = [detail]
    if len(ok) < len(x):
        notes.append(f"{len(x) - len(ok)} of {len(x)} seed pairs dropped (diverged or missing)")
    claimed = {
        ">": (threshold, math.inf),
        "<": (-math.inf, threshold),
        "within": (-threshold, threshold),
    }[sense]
    if n < MIN_SEEDS:
        notes.append(f"only {n} usable paired seed(s), {MIN_SEEDS} needed")
        verdict = INCONCLUSIVE
    elif claimed[0] < low and high < claimed[1]:
        verdict = SUPPORTED
    elif high < claimed[0] or low > claimed[1]:
        verdict = CONTRADICTED
    else:
        verdict = INCONCLUSIVE
    return _result(verdict, mean, low, high, n, _join(*notes))


def _decide_by(per_seed: pd.Series, params: dict, detail: str = "") -> dict:
    """_decide with the claim's ``threshold`` and ``sense`` (default: above 0)."""
    return _decide(per_seed, params.get("threshold", 0.0), detail, params.get("sense", ">"))


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
        raise _Undecidable(f"the summaries have no {col} column")
    have = sorted(df[col].dropna().unique())
    if isinstance(spec, dict):
        lo, hi = spec.get("from", -math.inf), spec.get("to", math.inf)
        picked = [v for v in have if lo <= v <= hi]
    elif spec in ("min", "max"):
        picked = have[:1] if spec == "min" else have[-1:]
    else:
        picked = [v for v in have if v in _as_list(spec)]
    if not picked:
        raise _Undecidable(f"{col} {_spec_text(spec)} missing from the grid")
    return picked


def _select(df: pd.DataFrame, where: dict) -> pd.DataFrame:
    """Rows whose columns take the levels ``where`` names (level specs, see _levels)."""
    for col, spec in where.items():
        df = df[df[col].isin(_levels(df, col, spec))]
    return df


def _require(df: pd.DataFrame, col: str, levels) -> None:
    missing = [v for v in _as_list(levels) if not (df[col] == v).any()]
    if missing:
        raise _Undecidable(f"{col} {'/'.join(map(str, missing))} missing from the grid")


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
            raise _Undecidable(f"no finite {m} in the selected runs (not recorded or diverged)")


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
        raise _Undecidable(f"no runs for {', '.join(cells[:4])}" + (" …" if len(cells) > 4 else ""))
    frame = df[["seed", *keys]].assign(_v=values.to_numpy(dtype=float))
    if frame.duplicated(["seed", *keys]).any():
        raise _Undecidable(f"several configurations per ({', '.join(keys)}, seed)")
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


# ---- judges: each takes one family's summary and a claim, returns a result dict ------
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
        raise _Undecidable(f"only one {over} level ({lows[0]}) in the grid")
    if set(lows) & set(highs):
        raise _Undecidable(f"{over} {_spec_text(p['low'])} and {_spec_text(p['high'])} overlap")
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
    result = _decide(high_gain - low_gain, detail=_join(*notes))
    if p.get("high_helps"):
        helps = _decide(high_gain)
        result["detail"] = _join(
            result["detail"],
            f"gain at {over} {_spec_text(p['high'])}: {_numbers(helps)} ({helps['verdict']})",
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
    claim expects of the effect (see _decide).
    """
    p, seeds, metric = claim.params, sorted(df["seed"].unique()), claim.metric
    where = p.get("where", {})
    df = _select(_usable(df, [metric]), where)
    at = "/".join(f"{col} {_spec_text(sorted(df[col].unique()))}" for col in where)
    a, b = (_arm(df, arm, p.get("arm_col", "bn")) for arm in p["arms"])
    if a == b:
        raise _Undecidable(f"both arms are {_label(a)}: the grid cannot contrast them")
    notes = []
    if "drop_diverged" in p:
        col = p["drop_diverged"]
        used, excluded = _stable_levels(df[_in_cell(df, a) | _in_cell(df, b)], col)
        if not used:
            raise _Undecidable(f"every {col} level diverged in some seed")
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
    return _decide_by(in_a - in_b, p, _join(*notes))


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
        raise _Undecidable(f"no other {'/'.join(cols)} cell with a finite mean")
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
        raise _Undecidable(f"needs at least 3 {over} levels, the grid has {have}")
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
        raise _Undecidable("; ".join([*notes, f"no usable interior {over}"]))
    best_in = min(interior, key=lambda lv: means[lv])
    if not finite_ends:
        # Only reachable through divergence: both ends are infinitely bad, so the
        # optimum is interior, but there is no finite contrast to put an interval on.
        notes.append(f"best {over} {best_in} is interior; both end levels diverged")
        return _result(SUPPORTED, n=curve.notna().all(axis=1).sum(), detail="; ".join(notes))
    best_end = min(finite_ends, key=lambda lv: means[lv])
    best = best_in if means[best_in] < means[best_end] else best_end
    notes.append(f"best {over} {best}; best interior {best_in}, best end {best_end}")
    return _decide(curve[best_end] - curve[best_in], detail="; ".join(notes))


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
    result = _decide(r_none.abs() - r_bn.abs(), detail=detail)
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
        raise _Undecidable(
            _join(*notes, f"fewer than 2 non-diverging {over} levels at every {per}")
        )
    per_seed = pd.DataFrame(per_level).mean(axis=1, skipna=False)
    return _decide(per_seed, detail="; ".join(notes))


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
    return _decide(per_seed, detail="; ".join(notes))


def suggestion_error(df: pd.DataFrame, claim: Claim, reference: pd.DataFrame | None) -> dict:
    """Per seed: mean over arms of |log(suggested_lr / the reference family's best lr)|.

    An arm is a cell of the ``arm_cols`` present in both families. Its best lr is
    the grid lr of ``reference`` with the lowest seed-mean log metric, among the
    lrs where no seed diverged (a diverging lr is not a good one whatever its
    other seeds did). An arm whose range tests never suggested an lr is left out.
    """
    if reference is None or reference.empty:
        return _result(NOT_RUN, detail=f"needs the {claim.reference} family")
    p, seeds, cols = claim.params, sorted(df["seed"].unique()), claim.params["arm_cols"]
    ref = _usable(reference, [claim.metric])
    cells = set(df[cols].itertuples(index=False, name=None))
    cells &= set(ref[cols].itertuples(index=False, name=None))
    if not cells:
        raise _Undecidable(f"no {'/'.join(cols)} cell in both {claim.family} and {claim.reference}")
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
        raise _Undecidable(_join(*notes))
    runs = pd.concat(per_arm)
    wide = _wide(runs, ["_arm"], runs["_r"], seeds)
    return _decide_by(wide.mean(axis=1), p, _join(*notes))


JUDGES = {
    "gain_contrast": gain_contrast,
    "arm_contrast": arm_contrast,
    "interior_optimum": interior_optimum,
    "gradient_evenness": gradient_evenness,
    "spread_contrast": spread_contrast,
    "max_stable_lr": max_stable_lr,
    "suggestion_error": suggestion_error,
}


# ---- the claims, in STUDY.md order ---------------------------------------------------
# Advice templates: one sentence per verdict, each stating the result the data chose;
# "{ci}" becomes the effect with its interval and seed count (see CI_TEXT).


def _advice(supported: str, contradicted: str, inconclusive: str) -> dict:
    return {SUPPORTED: supported, CONTRADICTED: contradicted, INCONCLUSIVE: inconclusive}


# The table is laid out by hand, one block per claim, to read like STUDY.md §5.
# fmt: off
CLAIMS = [
    Claim(
        "D1", "simple", "On simple data with a simple model, BN brings no real gain",
        "final_test",
        test="arm_contrast",
        # "No real gain": the gain log(none/pre) is surely below 5 %.
        params={"arms": ("none", "pre"), "where": {"depth": 1}, "average_over": ["act"],
                "threshold": MARGIN_5PCT, "sense": "<"},
        parts=(Part("gain at depth 4, for context", "info", {"where": {"depth": 4}}),),
        advice=_advice(
            "On simple data with a one-layer network, skip BN: its gain on the test loss is "
            "surely below 5 % (log none/BN loss ratio at depth 1: {ci}).",
            "Even on simple data with a one-layer network, BN improves the test loss by more "
            "than 5 % (log none/BN loss ratio at depth 1: {ci}): add it there too.",
            "On simple data with a one-layer network, these runs cannot tell whether BN's gain "
            "exceeds 5 % (log none/BN loss ratio at depth 1: {ci}); BN is optional there.",
        ),
    ),
    Claim(
        "D2", "depth", "On harder data, BN's gain grows with depth", "final_test",
        test="gain_contrast",
        params={"where": {"act": "sigmoid"}, "over": "depth", "high": "max", "low": "min"},
        advice=_advice(
            "Add BN first to deep sigmoid networks: its gain grows with depth (deepest-depth "
            "minus shallowest-depth gain in log-units: {ci}).",
            "Do not count on BN paying off more as sigmoid networks get deeper: its gain "
            "shrinks with depth (deepest minus shallowest gain in log-units: {ci}).",
            "These runs cannot tell whether BN's gain grows with depth in sigmoid networks "
            "(deepest minus shallowest gain in log-units: {ci}); weigh BN at each depth.",
        ),
    ),
    Claim(
        "D3", "depth", "Without BN, going deeper helps up to a point, then hurts", "final_test",
        test="interior_optimum",
        params={"where": {"bn": "none"}, "over": "depth", "average_over": ["act"]},
        advice=_advice(
            "Without BN, tune the depth instead of maximising it: an interior depth beats both "
            "the shallowest and the deepest network (best end minus best interior in "
            "log-units: {ci}).",
            "Without BN, the best depth lies at an end of the grid, not in between (best end "
            "minus best interior in log-units: {ci}): search depth beyond the grid.",
            "Without BN, these runs do not show whether an interior depth beats both ends "
            "(best end minus best interior in log-units: {ci}).",
        ),
    ),
    Claim(
        "D4", "depth", "tanh gains more from BN than sigmoid", "final_test",
        test="gain_contrast",
        # "depth 3–4": the deep end, averaged; a reduced grid uses whichever of them it has.
        params={"where": {"depth": [3, 4]}, "over": "act", "high": "tanh", "low": "sigmoid",
                "average_over": ["depth"]},
        advice=_advice(
            "Expect more from BN in deep tanh networks than in sigmoid ones (tanh gain minus "
            "sigmoid gain in log-units: {ci}).",
            "In deep networks BN helps sigmoid more than tanh, contrary to the tutorials (tanh "
            "gain minus sigmoid gain in log-units: {ci}).",
            "In deep networks, BN's gain for tanh and for sigmoid cannot be told apart (tanh "
            "minus sigmoid gain in log-units: {ci}).",
        ),
    ),
    Claim(
        "D5", "depth", "BN before the activation works at least as well as after it",
        "final_test",
        test="arm_contrast",
        # Non-inferiority: "at least as well" forgives pre a 5 % worse loss than post.
        params={"arms": ("post", "pre"), "average_over": ["act", "depth"],
                "threshold": -MARGIN_5PCT},
        advice=_advice(
            "Place BN before the activation: it is within 5 % of, or better than, BN after it "
            "(log post/pre loss ratio: {ci}).",
            "Place BN after the activation: before it, the loss is more than 5 % worse (log "
            "post/pre loss ratio: {ci}).",
            "These runs cannot rule out that BN before the activation is more than 5 % worse "
            "than after it (log post/pre loss ratio: {ci}); try both placements.",
        ),
    ),
    Claim(
        "D6", "depth", "With ReLU stacks, BN keeps units alive (fewer dead ReLUs)", "dead_frac",
        test="arm_contrast",
        # No log: a dead fraction can be exactly 0.
        params={"arms": ("none", "pre"), "where": {"act": "relu"}, "average_over": ["depth"],
                "log": False},
        advice=_advice(
            "Use BN in ReLU stacks to keep units alive: it lowers the dead-unit fraction by "
            "{ci}.",
            "BN does not keep ReLU units alive here: with BN more units die (dead fraction "
            "without minus with BN: {ci}).",
            "BN's effect on dead ReLU units is not resolved by these runs (dead fraction "
            "without minus with BN: {ci}).",
        ),
    ),
    Claim(
        "B1", "batch", "BN needs a large enough batch: at tiny batches it gives no gain or "
        "hurts, at ≥ 32 it helps", "final_test",
        test="gain_contrast",
        # The trend: BN's gain at batch ≥ 32 minus at batch ≤ 4, and it must help at ≥ 32.
        params={"over": "batch_size", "low": {"to": 4}, "high": {"from": 32},
                "average_over": ["depth"], "high_helps": True},
        # The images MLP repeats the test (BN = one BN layer; its large batches start at 64).
        parts=(Part("image_batch", "agree", family="image_batch",
                    params={"arm_col": "bn_layers", "arms": (0, 1), "high": {"from": 64},
                            "average_over": []}),),
        advice=_advice(
            "Use BN only with batches of 32 or more: it helps there, and clearly less at tiny "
            "batches of 4 or fewer (large-batch minus tiny-batch gain in log-units: {ci}).",
            "BN does not need a large batch here: its gain is larger at tiny batches than at "
            "32 or more (large-batch minus tiny-batch gain in log-units: {ci}), so a small "
            "batch is no reason to drop BN.",
            "These runs do not establish that BN needs a large batch (large-batch minus "
            "tiny-batch gain in log-units: {ci}); check BN at the batch size you train with.",
        ),
    ),
    Claim(
        "B2", "batch", "Running statistics get more accurate as batch size grows",
        "bn_stat_error",
        test="arm_contrast",
        # bn_stat_error = bn_mean_gap + bn_var_gap; effect log(error smallest / largest batch).
        params={"arm_col": "batch_size", "arms": ("min", "max"), "where": {"bn": "pre"},
                "average_over": ["depth"],
                "profile": {"by": ["batch_size"], "where": {"bn": "pre"}}},
        advice=_advice(
            "Trust BN's running statistics more at large batches: their error shrinks from the "
            "smallest to the largest batch (log error ratio: {ci}); with small batches, "
            "recompute them on the training set before evaluating.",
            "BN's running statistics are no worse at small batches: their error grows from the "
            "smallest to the largest batch (log error ratio smallest/largest: {ci}).",
            "The running statistics' accuracy does not clearly change with batch size (log "
            "error ratio smallest/largest batch: {ci}).",
        ),
    ),
    Claim(
        "L1", "lr", "Models with BN are more sensitive to the learning rate", "final_test",
        test="spread_contrast",
        params={"stat": "std", "arms": ("pre", "none")},
        advice=_advice(
            "With BN, budget for a careful learning-rate search: the loss varies more across "
            "lr than without BN (std of log loss, BN minus none: {ci}).",
            "BN makes the loss less sensitive to the learning rate, not more (std of log loss "
            "across lr, BN minus none: {ci}): a coarser lr search suffices with BN.",
            "BN's effect on learning-rate sensitivity is not resolved (std of log loss across "
            "lr, BN minus none: {ci}).",
        ),
    ),
    Claim(
        "L2", "lr", "The error-vs-lr curve is U-shaped", "final_test",
        test="interior_optimum",
        params={"over": "lr", "average_over": ["depth", "bn"], "diverged_is_worst": True},
        advice=_advice(
            "Search the learning rate on both sides: the loss curve is U-shaped with its "
            "minimum inside the grid (best end minus best interior in log-units: {ci}).",
            "The best learning rate sits at an end of the grid (best end minus best interior "
            "in log-units: {ci}): extend the lr search beyond the grid.",
            "The lr curve's minimum is not clearly inside the grid (best end minus best "
            "interior in log-units: {ci}).",
        ),
    ),
    Claim(
        "L3", "lr", "Tuning the lr pays off more with BN (deeper U)", "final_test",
        test="spread_contrast",
        params={"stat": "range", "arms": ("pre", "none")},
        advice=_advice(
            "Tune the learning rate especially with BN: the worst-to-best gap across lr is "
            "larger with BN (BN minus none in log-units: {ci}).",
            "Tuning the learning rate pays off less with BN than without (worst-to-best gap, "
            "BN minus none in log-units: {ci}).",
            "Whether lr tuning pays off more with BN is not resolved (worst-to-best gap, BN "
            "minus none in log-units: {ci}).",
        ),
    ),
    Claim(
        "L4", "lr", "BN tolerates higher learning rates", "final_test",
        test="max_stable_lr",
        params={"arms": ("none", "pre")},
        advice=_advice(
            "With BN, try higher learning rates: the largest non-diverging lr is higher with "
            "BN (log2 ratio BN/none: {ci}).",
            "BN lowers the largest learning rate that trains without diverging (log2 ratio "
            "BN/none: {ci}): keep lr moderate with BN.",
            "These runs do not show BN tolerating higher learning rates (log2 ratio of largest "
            "stable lr, BN/none: {ci}).",
        ),
    ),
    Claim(
        "S1", "schedule", "A decaying schedule beats a constant lr and calms late training",
        "final_test",
        test="arm_contrast",
        # log(constant/decaying) of the final loss, and of the volatility (a gate).
        params={"arm_col": "schedule", "arms": ("constant", DECAYING), "average_over": ["bn"],
                "profile": {"by": ["schedule"], "best": "min"}},
        parts=(Part("volatility, log constant/decaying", "gate", metric="volatility"),),
        advice=_advice(
            "Decay the learning rate: decaying schedules end with a lower test loss than a "
            "constant lr and calm late training (log constant/decaying loss ratio: {ci}).",
            "Keep the learning rate constant at this budget: it ends with a lower test loss "
            "than the decaying schedules (log constant/decaying loss ratio: {ci}).",
            "Decaying schedules are not shown to both lower the final loss and calm late "
            "training (log constant/decaying loss ratio: {ci}); the detail names the best "
            "schedule of these runs.",
        ),
    ),
    Claim(
        "S2", "schedule", "Halving the lr every epoch decays too fast and under-trains",
        "final_test",
        test="arm_contrast",
        params={"arm_col": "schedule", "arms": ("halving", "constant"), "average_over": ["bn"]},
        advice=_advice(
            "Do not halve the learning rate every epoch: it decays too fast and ends worse "
            "than a constant lr (log halving/constant loss ratio: {ci}).",
            "Halving the learning rate every epoch does not under-train here: it ends better "
            "than a constant lr (log halving/constant loss ratio: {ci}).",
            "Halving the lr every epoch and keeping it constant end up indistinguishable (log "
            "halving/constant loss ratio: {ci}).",
        ),
    ),
    Claim(
        "I1", "init", "With BN, the choice of initialization stops mattering", "final_test",
        test="spread_contrast",
        # Spread (std) over init of log loss per act, without BN minus with BN.
        params={"stat": "std", "arms": ("none", "pre"), "over": "init", "per": "act"},
        advice=_advice(
            "With BN, keep the default initialization: the choice of init matters less than "
            "without BN (std of log loss across inits, none minus BN: {ci}).",
            "BN does not make the initialization irrelevant: the loss varies more across inits "
            "with BN than without (std of log loss, none minus BN: {ci}); choose it with care.",
            "These runs cannot tell whether BN makes the initialization matter less (std of "
            "log loss across inits, none minus BN: {ci}); compare the usual inits.",
        ),
    ),
    Claim(
        "O1", "optimizer", "Adam without BN speeds up convergence about as much as BN with "
        "SGD; Adam + BN is fastest", "speed",
        test="arm_contrast",
        # speed is already a mean log loss: differences, no log. Effect: the best other
        # (optimizer, bn_layers) cell minus Adam + BN; the equivalence part can veto.
        params={"where": {"act": "sigmoid"}, "cells": ["optimizer", "bn_layers"], "log": False,
                "arms": (BEST_OTHER, {"optimizer": "adam", "bn_layers": 1})},
        parts=(Part(f"Adam without BN minus SGD with BN, equivalent within ±{EQUIV_MARGIN:.2f}",
                    "veto", {"arms": ({"optimizer": "adam", "bn_layers": 0},
                                      {"optimizer": "sgd", "bn_layers": 1}),
                             "threshold": EQUIV_MARGIN, "sense": "within"}),),
        advice=_advice(
            "For sigmoid networks use Adam with BN: it converges fastest, and Adam alone is "
            "about as fast as SGD with BN (best other setting minus Adam + BN in mean log "
            "loss: {ci}).",
            "Adam + BN is not the recipe the tutorials promise: another optimizer/BN setting "
            "converges faster, or Adam alone clearly differs from SGD with BN (best other "
            "setting minus Adam + BN in mean log loss: {ci}; see the detail).",
            "These runs do not show Adam + BN converging fastest with Adam alone matching SGD "
            "with BN (best other setting minus Adam + BN in mean log loss: {ci}); compare "
            "optimizers with BN on your task.",
        ),
    ),
    Claim(
        "O2", "bn_layers", "With sigmoid, more BN layers converge faster; with ReLU one BN "
        "layer is enough", "speed",
        test="arm_contrast",
        # Sigmoid: speed(1 BN layer) − speed(most BN layers); ReLU must be equivalent.
        params={"where": {"act": "sigmoid"}, "arm_col": "bn_layers", "arms": (1, "max"),
                "log": False},
        parts=(Part(f"relu, most minus one BN layer, equivalent within ±{EQUIV_MARGIN:.2f}",
                    "veto", {"where": {"act": "relu"}, "arms": ("max", 1),
                             "threshold": EQUIV_MARGIN, "sense": "within"}),),
        advice=_advice(
            "Give sigmoid networks BN after every hidden layer, which converges faster than one "
            "BN layer; for ReLU one BN layer is enough (sigmoid, one minus most BN layers in "
            "mean log loss: {ci}).",
            "More BN layers do not pay off as claimed: sigmoid networks converge slower with "
            "them, or ReLU networks clearly differ between one and most BN layers (sigmoid, "
            "one minus most in mean log loss: {ci}; see the detail).",
            "The number of BN layers has no clear effect on convergence as claimed (sigmoid, "
            "one minus most BN layers in mean log loss: {ci}); one BN layer is a fair start.",
        ),
    ),
    Claim(
        "N1", "lenet", "BN lets LeNet train at lr 1.0 and reach higher accuracy in 10 epochs",
        "test_error",
        test="arm_contrast",
        # test_error = 1 − final_acc, at the grid's largest lr (1.0 by default).
        params={"where": {"lr": "max"}, "arms": ("none", "library"),
                "profile": {"by": ["bn", "lr"], "metric": "final_acc",
                            "where": {"bn": ["none", "library"]}}},
        advice=_advice(
            "With BN, LeNet trains at its largest lr and ends with a lower test error than "
            "without BN (log error ratio none/BN: {ci}): raise the lr when adding BN.",
            "At the largest lr, LeNet with BN ends with a higher test error than without (log "
            "error ratio none/BN: {ci}): do not raise the lr just because BN is there.",
            "At the largest lr, BN's effect on LeNet's test error is not resolved (log error "
            "ratio none/BN: {ci}); the detail lists accuracy per lr.",
        ),
    ),
    Claim(
        "N2", "lenet", "Hand-written BN behaves like the library's", "test_error",
        test="arm_contrast",
        # Equivalence within ±N2_MARGIN (see its comment), pooled over the stable lrs.
        params={"arms": ("scratch", "library"), "average_over": ["lr"], "drop_diverged": "lr",
                "threshold": N2_MARGIN, "sense": "within",
                "note": "the exact numerical match is tested in tests/test_norm.py"},
        advice=_advice(
            "A hand-written BN can stand in for the library's: test errors agree within 10 % "
            "(log error ratio scratch/library: {ci}); prefer the library's for speed.",
            "The hand-written BN trains to a different test error than the library's (log "
            "error ratio scratch/library: {ci}): check it against the library before use.",
            "Test errors of hand-written and library BN are not shown to agree within 10 % "
            "(log error ratio scratch/library: {ci}); rely on the exact numerical test.",
        ),
    ),
    Claim(
        "G1", "depth", "Without BN, deep sigmoid nets have vanishing gradients in early "
        "layers; BN evens them out", "grad_first/grad_last",
        test="gradient_evenness",
        params={"where": {"act": "sigmoid"}, "arms": ("none", "pre")},
        advice=_advice(
            "Use BN against vanishing gradients in deep sigmoid nets: it evens out the "
            "first-to-last-layer gradient ratio (|log ratio| none minus BN: {ci}).",
            "BN makes the layer-to-layer gradient profile of deep sigmoid nets less even, not "
            "more (|log ratio| none minus BN: {ci}).",
            "These runs do not establish that BN cures vanishing gradients in deep sigmoid "
            "nets (|log ratio| none minus BN: {ci}).",
        ),
    ),
    Claim(
        "R1", "lr_range", "The LR range test predicts a good lr", "final_test",
        test="suggestion_error",
        reference="lr",
        # Mean |ln(suggested / best grid lr)| below ln 3: within 3× of the best.
        params={"arm_cols": ["bn", "depth"], "threshold": math.log(RANGE_FACTOR),
                "sense": "<"},
        advice=_advice(
            "Start from the LR range test's suggestion: it lands within 3× of the grid's best "
            "lr (mean |ln suggested/best|, 1.10 = 3×: {ci}).",
            "Do not take the LR range test's suggestion as the lr: it misses the grid's best "
            "by more than 3× (mean |ln suggested/best|, 1.10 = 3×: {ci}); search an lr grid.",
            "The LR range test's suggestion is not shown to land within 3× of the best lr "
            "(mean |ln suggested/best|, 1.10 = 3×: {ci}); use it to bracket an lr grid.",
        ),
    ),
]
# fmt: on

CLAIM_IDS = [c.id for c in CLAIMS]
_BY_ID = {c.id: c for c in CLAIMS}


def claim_statement(claim_id: str) -> str:
    """The claim as tutorials state it (STUDY.md §5)."""
    return _BY_ID[claim_id].statement


def _with_metric(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The summary with a DERIVED metric added (other metrics are columns already)."""
    if metric not in DERIVED:
        return summary
    try:
        return summary.assign(**{metric: DERIVED[metric](summary)})
    except KeyError as why:
        raise _Undecidable(f"{metric} needs column {why} in the summaries") from None


def _run(claim: Claim, summaries: dict[str, pd.DataFrame]) -> dict:
    """The claim's judge on its family's summary."""
    summary = _with_metric(summaries[claim.family], claim.metric)
    fn = JUDGES[claim.test]
    if claim.reference is None:
        return fn(summary, claim)
    return fn(summary, claim, summaries.get(claim.reference))


def _run_part(claim: Claim, part: Part, summaries: dict[str, pd.DataFrame]) -> dict:
    """A part's result: the claim with the part's family, judge, metric and params."""
    sub = dataclasses.replace(
        claim,
        family=part.family or claim.family,
        test=part.test or claim.test,
        metric=part.metric or claim.metric,
        params={**claim.params, **part.params},
        parts=(),
    )
    summary = summaries.get(sub.family)
    if summary is None or summary.empty:
        return _result(NOT_RUN, detail=f"family {sub.family} did not run")
    try:
        return _run(sub, summaries)
    except _Undecidable as why:
        return _result(INCONCLUSIVE, detail=str(why))


def _with_part(result: dict, part: Part, got: dict) -> dict:
    """The claim's result once a part's result is known (see Part for the roles)."""
    verdict, seen = result["verdict"], got["verdict"]
    shown = _numbers(got) if got["n_seeds"] else ""
    if part.role != "info" or not shown:
        shown = f"{shown} → {seen}" if shown else seen
    note = f"{part.label}: {shown}" + (f" ({got['detail']})" if got["detail"] else "")
    why = ""
    if part.role == "veto" and seen == CONTRADICTED:
        verdict, why = CONTRADICTED, f"contradicted by {part.label}"
    elif part.role in ("gate", "veto") and verdict == SUPPORTED and seen != SUPPORTED:
        verdict, why = INCONCLUSIVE, f"not supported by {part.label}"
    elif part.role == "agree" and {verdict, seen} == {SUPPORTED, CONTRADICTED}:
        verdict, why = INCONCLUSIVE, f"{part.label} says {seen}: the families disagree"
    return result | {"verdict": verdict, "detail": _join(result["detail"], note, why)}


def _profile(df: pd.DataFrame, spec: dict, metric: str) -> str:
    """Mean of a metric per cell of ``spec["by"]`` (with diverged counts), for the detail."""
    metric, by = spec.get("metric", metric), spec["by"]
    try:
        df = _select(df, spec.get("where", {}))
    except _Undecidable:
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


def families_read(claim: Claim) -> list[str]:
    """The families whose runs a claim's verdict reads: its own, its parts', its reference's."""
    names = [claim.family, *(p.family for p in claim.parts), claim.reference]
    return list(dict.fromkeys(n for n in names if n))


def _failed_note(claim: Claim, failed: dict[str, list[str]]) -> str:
    """Why a claim cannot stand when configurations it reads failed ('' when none did)."""
    lost = [f"{fam}/{cid}" for fam in families_read(claim) for cid in failed.get(fam, [])]
    if not lost:
        return ""
    return (
        f"{len(lost)} configuration(s) it reads failed ({', '.join(lost)}; see "
        "results/metrics/<family>_runs.csv), so the comparison is incomplete"
    )


def judge(
    claim: Claim, summaries: dict[str, pd.DataFrame], failed: dict[str, list[str]] | None = None
) -> dict:
    """One claim's verdict row: its judge, then its parts, then context for the detail.

    ``failed`` is family → ids of configurations whose training failed: a claim
    that reads such a family is at most ``inconclusive``, with the ids in its detail.
    """
    row = {"claim": claim.id, "family": claim.family}
    summary = summaries.get(claim.family)
    if summary is None or summary.empty:
        return row | _result(NOT_RUN, detail=f"family {claim.family} did not run")
    try:
        result = _run(claim, summaries)
        if result["verdict"] != NOT_RUN:
            for part in claim.parts:
                result = _with_part(result, part, _run_part(claim, part, summaries))
            if "profile" in claim.params:
                table = _with_metric(summary, claim.metric)
                profile = _profile(table, claim.params["profile"], claim.metric)
                result["detail"] = _join(result["detail"], profile)
    except _Undecidable as why:
        result = _result(INCONCLUSIVE, detail=str(why))
    result["detail"] = _join(result["detail"], claim.params.get("note", ""))
    lost = _failed_note(claim, failed or {})
    if lost and result["verdict"] != NOT_RUN:
        was = result["verdict"]
        result["verdict"] = INCONCLUSIVE
        result["detail"] = _join(f"{lost} (without them: {was})", result["detail"])
    return row | result


def judge_all(
    summaries: dict[str, pd.DataFrame], failed: dict[str, list[str]] | None = None
) -> pd.DataFrame:
    """One verdict row per claim of STUDY.md §5, in that order (columns: COLUMNS)."""
    return pd.DataFrame([judge(c, summaries, failed) for c in CLAIMS], columns=COLUMNS)


def conclusions(claims_df: pd.DataFrame) -> list[dict]:
    """The tuning advice: each judged claim's sentence for its verdict, with its numbers."""
    out = []
    for row in claims_df.itertuples(index=False):
        if row.verdict == NOT_RUN:
            continue
        numbers = dict(
            effect=row.effect, ci_low=row.ci_low, ci_high=row.ci_high, n_seeds=row.n_seeds
        )
        template = _BY_ID[row.claim].advice[row.verdict]
        ci = CI_TEXT.format(**numbers) if np.isfinite(row.effect) else NO_NUMBERS
        text = template.format(ci=ci, **numbers)
        out.append({"claim": row.claim, "verdict": row.verdict, "text": text})
    return out


def failed_configs(runs: pd.DataFrame) -> list[str]:
    """Ids of the configurations a family's runs table marks as failed."""
    from bnstudy.tables import failed_rows

    return [r["config_id"] for r in failed_rows(runs)]


def judge_files(
    summary_paths: dict[str, str], claims_out: str, runs_paths: dict[str, str] | None = None
) -> pd.DataFrame:
    """Judge every claim from the families' summary CSVs; write the claims table atomically.

    ``runs_paths`` (family → runs table) tells which configurations failed; the
    claims that read them are marked (see ``judge``).
    """
    from bnstudy import io

    summaries = {family: pd.read_csv(path) for family, path in summary_paths.items()}
    failed = {fam: failed_configs(pd.read_csv(p)) for fam, p in (runs_paths or {}).items()}
    claims = judge_all(summaries, failed)
    io.write_csv(claims_out, claims)
    return claims
