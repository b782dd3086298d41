"""The generic judges: each turns one family's per-seed summaries into an outcome.

A judge takes a family's summary table (``bnstudy.summary.summarize``, with any
derived metric the claim reads and the per-run ``learned`` column added) and a
:class:`~bnstudy.claims.verdict.Claim`, pairs the seeds' effects across the cells
the claim contrasts, and returns an :class:`~bnstudy.claims.verdict.Outcome` from
``decide`` (``suggestion_error`` also takes the claim's reference family's table).
Its ``arms`` are the cells whose learning the comparison needs (checked by
``bnstudy.claims.learning``); anything it picks as "best" it picks on validation
data (``bnstudy.claims.selection``) and lists in ``selected``. A missing grid
level raises ``Undecidable``: inconclusive with the reason. :data:`JUDGES` maps a
claim's ``test`` to its judge; ``profile`` gives the per-cell means some claims
add to their detail.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from bnstudy.claims.cells import (
    LEARNED,
    as_list,
    diverged_note,
    fmt_levels,
    in_cell,
    label,
    levels,
    log_values,
    recorded,
    require,
    seeds_of,
    select,
    spec_text,
    stable_levels,
    usable,
    wide,
)
from bnstudy.claims.selection import best_key, best_lr, score_name, scores
from bnstudy.claims.verdict import (
    ALPHA,
    BEST_OTHER,
    INCONCLUSIVE,
    MIN_SEEDS,
    NOT_RUN,
    SUPPORTED,
    Claim,
    Outcome,
    Undecidable,
    combine,
    decide,
    decide_by,
    join_notes,
    numbers_text,
)


def gain_contrast(df: pd.DataFrame, claim: Claim) -> Outcome:
    """BN gain log(without/with) at the ``high`` levels of ``over`` against the ``low`` ones.

    ``high``/``low`` are level specs; the gain is averaged per seed over the chosen
    levels and the cells of the ``average_over`` columns. The arms are levels of
    ``arm_col`` (default bn: none vs pre). The effect is the gain at the high
    levels minus at the low ones (``effect`` "trend", default) or the gain at the
    high levels alone (``effect`` "high", the trend then reported). Further
    halves of the claim, each a veto (see combine): ``high_helps`` (the gain at
    the high levels is above 0) and ``low_below`` (the gain at the low levels is
    below that threshold: "no real gain or hurts").
    """
    p, seeds, over = claim.params, seeds_of(df), claim.params["over"]
    col = p.get("arm_col", "bn")
    without, with_ = p.get("arms", ("none", "pre"))
    df = select(usable(df, [claim.metric]), p.get("where", {}))
    require(df, col, [without, with_])
    lows, highs = levels(df, over, p["low"]), levels(df, over, p["high"])
    if lows == highs:
        raise Undecidable(f"only one {over} level ({lows[0]}) in the grid")
    if set(lows) & set(highs):
        raise Undecidable(f"{over} {spec_text(p['low'])} and {spec_text(p['high'])} overlap")
    df = df[df[over].isin(lows + highs) & df[col].isin([without, with_])]
    keys = [col, over, *p.get("average_over", [])]
    need = {col: [without, with_], over: lows + highs}
    table = wide(df, keys, log_values(df[claim.metric]), seeds, need)
    gain = table.xs(without, level=col, axis=1) - table.xs(with_, level=col, axis=1)
    by_level = gain.T.groupby(level=over).mean().T  # seeds × levels of over
    high_gain, low_gain = by_level[highs].mean(axis=1), by_level[lows].mean(axis=1)
    mean_gain = {f"{over} {lv}": by_level[lv].mean() for lv in by_level.columns}
    ratio = f"{without}/{with_}" if col == "bn" else f"{col} {without}/{with_}"
    notes = [f"mean BN gain log({ratio}): {fmt_levels(mean_gain)}", diverged_note(df, keys)]
    high_text, low_text = (
        f"{over} {spec_text(found if spec in ('min', 'max') else spec)}"
        for spec, found in ((p["high"], highs), (p["low"], lows))
    )
    if p.get("effect", "trend") == "trend":
        result = decide(high_gain - low_gain, detail=join_notes(*notes))
    else:
        trend = decide(high_gain - low_gain)
        notes.append(f"gain at {high_text} minus at {low_text}: {numbers_text(trend)}")
        result = decide(high_gain, detail=join_notes(*notes))
    if p.get("high_helps"):
        result = combine(result, decide(high_gain), "veto", f"gain at {high_text}")
    if "low_below" in p:
        low = decide(low_gain, p["low_below"], sense="<")
        result = combine(result, low, "veto", f"gain at {low_text} below {p['low_below']:.2f}")
    arms = tuple((f"{col} {arm}", df[df[col] == arm]) for arm in (without, with_))
    return result.replace(arms=arms)


def arm_contrast(df: pd.DataFrame, claim: Claim) -> Outcome:
    """Per seed: f(metric) in arm a minus in arm b, each averaged over its cells; f = log or id.

    An arm is a level spec of ``arm_col`` (default bn) or a dict column → level
    spec; its levels and the cells of the ``average_over`` columns are averaged per
    seed. Arm a may be BEST_OTHER: of the cells of the ``cells`` columns outside
    arm b, the one with the best validation score (so a − b > 0 says "b beats the
    best of the rest"). ``drop_diverged`` (explicit arms only) names a column whose
    levels are left out where a seed of either arm diverged. ``threshold``/``sense``:
    what the claim expects of the effect (see decide).
    """
    p, seeds, metric = claim.params, seeds_of(df), claim.metric
    where = p.get("where", {})
    df = select(usable(df, [metric]), where)
    at = "/".join(f"{col} {spec_text(sorted(df[col].unique()))}" for col in where)
    a, b = (_arm(df, arm, p.get("arm_col", "bn")) for arm in p["arms"])
    if a == b:
        raise Undecidable(f"both arms are {label(a)}: the grid cannot contrast them")
    notes = []
    if "drop_diverged" in p:
        col = p["drop_diverged"]
        used, excluded = stable_levels(df[in_cell(df, a) | in_cell(df, b)], col)
        if not used:
            raise Undecidable(f"every {col} level diverged in some seed")
        if excluded:
            notes.append(f"{col} {spec_text(excluded)} excluded (diverged)")
        df = df[df[col].isin(used)]
    recorded(df, [metric])
    values = log_values(df[metric]) if p.get("log", True) else df[metric].astype(float)
    average_over = p.get("average_over", [])

    def per_seed(arm: dict, vals: pd.Series, rows_of: pd.DataFrame) -> pd.Series:
        rows = df[in_cell(df, arm)]
        need = {**arm, **{c: sorted(rows_of[c].unique()) for c in average_over}}
        return wide(rows, [*arm, *average_over], vals[rows.index], seeds, need).mean(axis=1)

    selected = ()
    if a == BEST_OTHER:
        val = scores(df)
        a = _best_other(df, p["cells"], b, lambda cell: per_seed(cell, val, df))
        selected = (("best other", label(a)),)
    both = df[in_cell(df, a) | in_cell(df, b)]
    in_a, in_b = per_seed(a, values, both), per_seed(b, values, both)
    name_a = f"best other ({label(a)})" if selected else label(a)
    means = {name_a: in_a.mean(), label(b): in_b.mean()}
    kind = "log " if p.get("log", True) else ""
    notes.insert(
        0, f"{'at ' + at + ': ' if at else ''}mean {kind}{metric} per arm: {fmt_levels(means)}"
    )
    notes.append(diverged_note(both, list(dict.fromkeys([*a, *b, *average_over]))))
    arms = ((name_a, df[in_cell(df, a)]), (label(b), df[in_cell(df, b)]))
    return decide_by(in_a - in_b, p, join_notes(*notes)).replace(arms=arms, selected=selected)


def _arm(df: pd.DataFrame, arm, col: str) -> dict | str:
    """An arm spec (a level spec of ``col``, or column → level spec) as column → grid levels."""
    if arm == BEST_OTHER:
        return arm
    spec = arm if isinstance(arm, dict) else {col: arm}
    return {c: levels(df, c, s) for c, s in spec.items()}


def _best_other(df: pd.DataFrame, cols: list[str], arm: dict, val_per_seed) -> dict:
    """Of the cells of ``cols`` outside ``arm``, the one with the best mean validation score."""
    cells = [
        {c: [v] for c, v in zip(cols, cell, strict=True)}
        for cell in df[cols].drop_duplicates().itertuples(index=False, name=None)
    ]
    others = [cell for cell in cells if not all(cell[c][0] in arm.get(c, []) for c in cols)]
    means = pd.Series([val_per_seed(cell).mean() for cell in others], dtype=float)
    return others[best_key(means, f"the best other {'/'.join(cols)} cell")]


def interior_optimum(df: pd.DataFrame, claim: Claim) -> Outcome:
    """Best end level minus best interior level of the mean log-metric curve over ``over``.

    The best interior and the best end level are chosen on validation data; the
    effect is read on the claim's (test) metric. Positive means the interior level
    beats the end: a U shape. With ``diverged_is_worst`` a level where any seed of
    any arm diverged is infinitely bad: it can be neither best nor the end compared
    against. The comparison needs the optimum (the best level) to have learned.
    """
    p, seeds, over = claim.params, seeds_of(df), claim.params["over"]
    df = select(df, p.get("where", {}))
    grid = sorted(df[over].unique())
    if len(grid) < 3:
        raise Undecidable(
            f"needs at least 3 {over} levels, the grid has {', '.join(map(str, grid))}"
        )
    ends, excluded = [grid[0], grid[-1]], []
    if p.get("diverged_is_worst", False):
        bad = df.groupby(over)["diverged"].max() == 1
        excluded = [lv for lv in grid if bad[lv]]
        df = df[~df[over].isin(excluded)]
    df = usable(df, [claim.metric])
    keys = [over, *p.get("average_over", [])]

    def curve(values: pd.Series) -> pd.DataFrame:  # seeds × levels
        return wide(df, keys, values, seeds).T.groupby(level=over).mean().T

    test, val = curve(log_values(df[claim.metric])), curve(scores(df))
    notes = [f"mean log {claim.metric} per {over}: {fmt_levels(test.mean().to_dict())}"]
    if excluded:
        notes.append(f"{over} {', '.join(map(str, excluded))} excluded (diverged)")
    val_means = val.mean()
    interior = val_means[[lv for lv in val_means.index if lv not in ends]]
    if interior.empty:
        raise Undecidable("; ".join([*notes, f"no usable interior {over}"]))
    best_in = best_key(interior, f"the best interior {over}")
    end_means = val_means[[lv for lv in ends if lv in val_means.index]]
    finite_ends = end_means[np.isfinite(end_means.to_numpy(dtype=float))]
    if finite_ends.empty:
        return _ends_diverged(df, over, best_in, test, notes)
    best_end = finite_ends.idxmin()
    best = best_in if val_means[best_in] < val_means[best_end] else best_end
    notes.append(
        f"best {over} {best} on {score_name(df)}; best interior {best_in}, best end {best_end}"
    )
    selected = ((f"best {over}", best), ("best interior", best_in), ("best end", best_end))
    arms = ((f"{over} {best} (the optimum)", df[df[over] == best]),)
    result = decide(test[best_end] - test[best_in], detail="; ".join(notes))
    return result.replace(arms=arms, selected=selected)


def _ends_diverged(df, over, best_in, test, notes) -> Outcome:
    """Both end levels diverged: every seed puts the optimum inside, by an infinite margin.

    There is no finite contrast for an interval; the exact sign test of n seeds all
    pointing the claimed way has p = 2·2⁻ⁿ, which decides from 6 seeds on.
    """
    n = int(test[best_in].notna().sum())
    notes.append(f"best {over} {best_in} is interior; both end levels diverged")
    p_support = min(1.0, 2 * 0.5**n)
    verdict = SUPPORTED if p_support < ALPHA and n >= MIN_SEEDS else INCONCLUSIVE
    seeds = tuple(test.index[test[best_in].notna()])
    arms = ((f"{over} {best_in} (the optimum)", df[df[over] == best_in]),)
    return Outcome(
        verdict,
        n_seeds=n,
        detail="; ".join(notes) + f"; exact sign test p = {p_support:.3g}",
        p_support=p_support,
        p_contradict=1.0,
        mde=math.nan,
        seeds=seeds,
        arms=arms,
        selected=((f"best interior {over}", best_in),),
    )


def gradient_evenness(df: pd.DataFrame, claim: Claim) -> Outcome:
    """|log(first/last-layer gradient RMS)| without BN minus with BN, at the deepest depth.

    The gradient norms are per weight (``columns``, default the RMS columns), so a
    4×5 and a 1×4 matrix with even gradients have ratio 1. The claim's first half,
    that without BN the gradients vanish toward early layers, is a veto of its own:
    the mean log ratio without BN must be surely below 0.
    """
    p, seeds = claim.params, seeds_of(df)
    first, last = p.get("columns", ("grad_first_rms", "grad_last_rms"))
    without, with_ = p.get("arms", ("none", "pre"))
    df = select(usable(df, [first, last]), p.get("where", {}))
    require(df, "bn", [without, with_])
    deepest = df["depth"].max()
    df = df[(df["depth"] == deepest) & df["bn"].isin([without, with_])]
    recorded(df, [first, last])
    ratio = log_values(df[first]) - log_values(df[last])
    table = wide(df, ["bn"], ratio, seeds, {"bn": [without, with_]})
    r_none, r_bn = table[without], table[with_]
    detail = (
        f"depth {deepest}: mean {first}/{last} {without} {np.exp(r_none.mean()):.3g}, "
        f"{with_} {np.exp(r_bn.mean()):.3g}"
    )
    result = decide(r_none.abs() - r_bn.abs(), detail=detail)
    vanish = decide(r_none, 0.0, sense="<")
    result = combine(result, vanish, "veto", f"vanishing without BN (log {first}/{last} < 0)")
    arms = tuple((f"bn {arm}/depth {deepest}", df[df["bn"] == arm]) for arm in (without, with_))
    return result.replace(arms=arms)


def spread_contrast(df: pd.DataFrame, claim: Claim) -> Outcome:
    """Per level of ``per``: spread (std or max−min) over ``over`` of log metric, arm a − arm b.

    Only ``over`` levels where no seed of either arm diverged enter, so both arms
    are measured over the same levels and divergence does not pose as sensitivity.
    The per-seed effect is the mean over the levels of ``per``. With arm b None the
    effect is arm a's spread itself (e.g. against an equivalence margin).
    """
    p, seeds = claim.params, seeds_of(df)
    a, b = p["arms"]
    arms_bn = [arm for arm in (a, b) if arm is not None]
    over, per = p.get("over", "lr"), p.get("per", "depth")
    df = select(df, p.get("where", {}))
    require(df, "bn", arms_bn)
    df = df[df["bn"].isin(arms_bn)]
    spread = {
        "std": lambda w: w.std(axis=1, ddof=1),
        "range": lambda w: w.max(axis=1) - w.min(axis=1),
    }[p["stat"]]
    per_level, notes = {}, []
    for level, sub in df.groupby(per):
        used, excluded = stable_levels(sub, over)
        note = f"{per} {level}: {over} {', '.join(map(str, used))} used"
        if excluded:
            note += f", {', '.join(map(str, excluded))} excluded (diverged)"
        notes.append(note)
        if len(used) < 2:
            continue
        sub = usable(sub[sub[over].isin(used)], [claim.metric])
        table = wide(sub, ["bn", over], log_values(sub[claim.metric]), seeds, {"bn": arms_bn})
        per_level[level] = spread(table[a]) - (spread(table[b]) if b is not None else 0.0)
    if not per_level:
        raise Undecidable(
            join_notes(*notes, f"fewer than 2 non-diverging {over} levels at every {per}")
        )
    per_seed = pd.DataFrame(per_level).mean(axis=1, skipna=False)
    arms = tuple((f"bn {arm}", df[df["bn"] == arm]) for arm in arms_bn)
    return decide_by(per_seed, p, "; ".join(notes)).replace(arms=arms)


def max_learning_lr(df: pd.DataFrame, claim: Claim) -> Outcome:
    """Per depth and seed: log2 of the BN arm's lr over the no-BN arm's, read two ways.

    The effect: the largest lr at which the run still learned (not merely did not
    diverge); the second reading (role "both"): the lr with the best validation
    score. They must point the same way. A seed counts at a depth only if it ran
    at every lr of the grid in both arms.
    """
    p, seeds = claim.params, seeds_of(df)
    without, with_ = p.get("arms", ("none", "pre"))
    require(df, "bn", [without, with_])
    if LEARNED not in df or df[LEARNED].isna().all():
        raise Undecidable("no run recorded a baseline to tell which lrs learned")
    top_ratio, best_ratio, tops = {}, {}, {without: [], with_: []}
    selected = []
    df = df.assign(_score=scores(df))
    for depth, sub in df.groupby("depth"):
        top, best = {}, {}
        for arm in (without, with_):
            rows = sub[sub["bn"] == arm]
            complete = rows.groupby("seed")["lr"].nunique() == rows["lr"].nunique()
            top[arm] = rows[rows[LEARNED] == 1].groupby("seed")["lr"].max()
            top[arm] = top[arm].reindex(seeds).where(complete.reindex(seeds, fill_value=False))
            tops[arm].append(top[arm])
            finite = rows.dropna(subset=["_score"])
            best_rows = finite.loc[finite.groupby("seed")["_score"].idxmin()]
            best[arm] = best_rows.set_index("seed")["lr"].reindex(seeds)
            best[arm] = best[arm].where(complete.reindex(seeds, fill_value=False))
            chosen = tuple(v if np.isfinite(v) else None for v in best[arm].tolist())
            selected.append((f"best lr bn {arm}/depth {depth}", chosen))
        top_ratio[depth] = np.log2(top[with_] / top[without])
        best_ratio[depth] = np.log2(best[with_] / best[without])
    geo = {arm: float(np.exp(np.log(pd.concat(lrs)).mean())) for arm, lrs in tops.items()}
    notes = [f"largest lr that still learned (geometric mean): {fmt_levels(geo)}"]
    if (df[LEARNED] == 1).all():
        notes.append("every run learned: no arm reached its limit within the grid")
    result = decide(pd.DataFrame(top_ratio).mean(axis=1, skipna=False), detail="; ".join(notes))
    best = decide(pd.DataFrame(best_ratio).mean(axis=1, skipna=False))
    result = combine(result, best, "both", f"best lr on {score_name(df)}, log2 {with_}/{without}")
    arms = tuple((f"bn {arm}", df[df["bn"] == arm]) for arm in (without, with_))
    return result.replace(arms=arms, selected=tuple(selected))


def suggestion_error(df: pd.DataFrame, claim: Claim, reference: pd.DataFrame | None) -> Outcome:
    """Per seed: mean over arms of |log(suggested_lr / the reference family's best lr)|.

    An arm is a cell of the ``arm_cols`` present in both families. Its best lr is
    the grid lr of ``reference`` with the best validation score, among the lrs
    where no seed diverged (a diverging lr is not a good one whatever its other
    seeds did). An arm whose range tests never suggested an lr is left out. The
    comparison needs the reference runs at each best lr to have learned.
    """
    if reference is None or reference.empty:
        return Outcome(NOT_RUN, detail=f"needs the {claim.reference} family")
    p, seeds, cols = claim.params, seeds_of(df), claim.params["arm_cols"]
    cells = set(df[cols].itertuples(index=False, name=None))
    cells &= set(reference[cols].itertuples(index=False, name=None))
    if not cells:
        raise Undecidable(f"no {'/'.join(cols)} cell in both {claim.family} and {claim.reference}")
    notes, per_arm, arms, selected = [], [], [], []
    for cell in sorted(cells):
        arm = {c: [v] for c, v in zip(cols, cell, strict=True)}
        runs, grid = df[in_cell(df, arm)], reference[in_cell(reference, arm)]
        used, _ = stable_levels(grid, "lr")
        best = best_lr(grid[grid["lr"].isin(used)], "lr")
        suggested = log_values(runs["suggested_lr"])
        if best is None or suggested.isna().all():
            why = "no non-diverging lr with validation numbers" if best is None else "no suggestion"
            notes.append(f"{label(arm)} left out ({why})")
            continue
        notes.append(
            f"{label(arm)}: suggested {np.exp(suggested.mean()):.3g} (geometric mean) "
            f"vs best {best:.3g}"
        )
        selected.append((f"best lr {label(arm)}", best))
        arms.append((f"{claim.reference} {label(arm)}/lr {best:g}", grid[grid["lr"] == best]))
        per_arm.append(runs.assign(_arm=label(arm), _r=(suggested - math.log(best)).abs()))
    if not per_arm:
        raise Undecidable(join_notes(*notes))
    runs = pd.concat(per_arm)
    table = wide(runs, ["_arm"], runs["_r"], seeds)
    result = decide_by(table.mean(axis=1), p, join_notes(*notes))
    return result.replace(arms=tuple(arms), selected=tuple(selected))


JUDGES = {
    "gain_contrast": gain_contrast,
    "arm_contrast": arm_contrast,
    "interior_optimum": interior_optimum,
    "gradient_evenness": gradient_evenness,
    "spread_contrast": spread_contrast,
    "max_learning_lr": max_learning_lr,
    "suggestion_error": suggestion_error,
}


def profile(df: pd.DataFrame, spec: dict, metric: str) -> tuple[str, tuple]:
    """Mean of a metric per cell of ``spec["by"]`` (with diverged counts), for the detail.

    With ``spec["best"]`` it also names the cell with the best validation score.
    Returns the text and the selection made ((what, choice) pairs).
    """
    metric, by = spec.get("metric", metric), spec["by"]
    try:
        df = select(df, spec.get("where", {}))
    except Undecidable:
        return "", ()
    means = usable(df, [metric]).groupby(by)[metric].mean()
    gone = df.groupby(by)["diverged"].sum()
    cells = []
    for key, mean in means.items():
        text = f"{'/'.join(map(str, as_list(key)))} {mean:.3g}"
        cells.append(text + (f" ({int(gone[key])} diverged)" if gone[key] else ""))
    out = f"mean {metric} per {'/'.join(by)}: {', '.join(cells)}"
    if not spec.get("best"):
        return out, ()
    val = df.assign(_score=scores(df)).groupby(by)["_score"].mean()
    try:
        best = best_key(val, f"the best {'/'.join(by)}")
    except Undecidable as why:
        return join_notes(out, str(why)), ()
    name = "/".join(map(str, as_list(best)))
    return f"{out}; best {'/'.join(by)} {name} on {score_name(df)}", ((f"best {by}", name),)
