"""The claims of STUDY.md §5 as data, and the judges that give each one its verdict.

A claim is a row of data (:class:`Claim`): which family it reads, which generic
judge tests it (a key of :data:`JUDGES`) with which parameters, and one advice
sentence per verdict. :func:`judge_all` turns the per-seed summary tables of
``bnstudy.summary.summarize`` into one verdict row per claim, in STUDY.md order.

Effects are paired by seed: a seed contributes only when every cell its effect
needs is a finite number (diverged seeds have NaN summaries and drop out). The
verdict reads the mean effect's t interval against a threshold (0, or minus a
non-inferiority margin): entirely above → supported, entirely below →
contradicted, else inconclusive. A missing grid level or too few seeds makes a
claim inconclusive with the reason, never an exception.
"""

from __future__ import annotations

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

#: What ``{ci}`` in an advice template becomes: the effect with its interval.
CI_TEXT = (
    "{effect:.2f}, "
    + f"{CONFIDENCE:.0%}".replace("%", " %")
    + " CI [{ci_low:.2f}, {ci_high:.2f}], "
    "{n_seeds} seeds"
)


@dataclass(frozen=True)
class Claim:
    """One rule of thumb of STUDY.md §5 and how its verdict is computed."""

    id: str
    family: str  # the experiment family whose summaries it reads
    statement: str  # the claim as tutorials state it
    metric: str  # the summary metric the effect is computed from
    test: str | None = None  # key of JUDGES; None while the judge is not written
    params: dict = field(default_factory=dict)  # the judge's arguments and thresholds
    advice: dict = field(default_factory=dict)  # verdict -> sentence template


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


def _decide(per_seed: pd.Series, threshold: float = 0.0, detail: str = "") -> dict:
    """Verdict from the per-seed effects; non-finite entries are dropped pairs."""
    x = per_seed.to_numpy(dtype=float)
    ok = x[np.isfinite(x)]
    mean, low, high, n = mean_ci(ok, confidence=CONFIDENCE)
    notes = [detail] if detail else []
    if len(ok) < len(x):
        notes.append(f"{len(x) - len(ok)} of {len(x)} seed pairs dropped (diverged or missing)")
    if n < MIN_SEEDS:
        notes.append(f"only {n} usable paired seed(s), {MIN_SEEDS} needed")
        verdict = INCONCLUSIVE
    elif low > threshold:
        verdict = SUPPORTED
    elif high < threshold:
        verdict = CONTRADICTED
    else:
        verdict = INCONCLUSIVE
    return _result(verdict, mean, low, high, n, "; ".join(notes))


# ---- selecting and pairing -------------------------------------------------------------


def _as_list(v) -> list:
    return list(v) if isinstance(v, list | tuple) else [v]


def _select(df: pd.DataFrame, where: dict) -> pd.DataFrame:
    """Rows whose columns take the allowed values; a value absent from the grid is undecidable."""
    for col, allowed in where.items():
        allowed = _as_list(allowed)
        present = [v for v in allowed if (df[col] == v).any()]
        if not present:
            raise _Undecidable(f"{col} {'/'.join(map(str, allowed))} missing from the grid")
        df = df[df[col].isin(present)]
    return df


def _require(df: pd.DataFrame, col: str, levels) -> None:
    missing = [v for v in _as_list(levels) if not (df[col] == v).any()]
    if missing:
        raise _Undecidable(f"{col} {'/'.join(map(str, missing))} missing from the grid")


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


# ---- judges: each takes one family's summary and a claim, returns a result dict ------


def gain_contrast(df: pd.DataFrame, claim: Claim) -> dict:
    """BN gain log(none/with) at level ``high`` of ``over`` minus at level ``low``.

    ``high``/``low`` may be "max"/"min" (the grid's ends); cells of the columns
    in ``average_over`` are averaged per seed before the contrast.
    """
    p, seeds = claim.params, sorted(df["seed"].unique())
    without, with_ = p.get("arms", ("none", "pre"))
    df = _select(_usable(df, [claim.metric]), p.get("where", {}))
    _require(df, "bn", [without, with_])
    levels = sorted(df[p["over"]].unique())
    high = {"max": levels[-1], "min": levels[0]}.get(p["high"], p["high"])
    low = {"max": levels[-1], "min": levels[0]}.get(p["low"], p["low"])
    _require(df, p["over"], [high, low])
    if high == low:
        raise _Undecidable(f"only one {p['over']} level ({high}) in the grid")
    df = df[df[p["over"]].isin([high, low])]
    keys = ["bn", p["over"], *p.get("average_over", [])]
    need = {"bn": [without, with_], p["over"]: [low, high]}
    wide = _wide(df, keys, _log(df[claim.metric]), seeds, need)
    gain = wide.xs(without, level="bn", axis=1) - wide.xs(with_, level="bn", axis=1)
    by_level = gain.T.groupby(level=p["over"]).mean().T  # seeds × {low, high}
    mean_gain = {f"{p['over']} {lv}": by_level[lv].mean() for lv in (low, high)}
    detail = f"mean BN gain log({without}/{with_}): {_fmt(mean_gain)}"
    return _decide(by_level[high] - by_level[low], detail=detail)


def arm_contrast(df: pd.DataFrame, claim: Claim) -> dict:
    """Mean over cells of f(metric[arm a]) − f(metric[arm b]), f = log or identity.

    ``margin`` turns it into a non-inferiority test: the threshold is −margin.
    """
    p, seeds = claim.params, sorted(df["seed"].unique())
    a, b = p["arms"]
    df = _select(_usable(df, [claim.metric]), p.get("where", {}))
    _require(df, "bn", [a, b])
    df = df[df["bn"].isin([a, b])]
    _recorded(df, [claim.metric])
    values = _log(df[claim.metric]) if p.get("log", True) else df[claim.metric].astype(float)
    wide = _wide(df, ["bn", *p.get("average_over", [])], values, seeds, {"bn": [a, b]})
    per_seed = (wide.xs(a, level="bn", axis=1) - wide.xs(b, level="bn", axis=1)).mean(axis=1)
    means = {
        arm: pd.Series(wide.xs(arm, level="bn", axis=1).to_numpy().ravel()).mean() for arm in (a, b)
    }
    kind = "log " if p.get("log", True) else ""
    detail = f"mean {kind}{claim.metric} per arm: {_fmt(means)}"
    return _decide(per_seed, threshold=-p.get("margin", 0.0), detail=detail)


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


def _stable_lrs(sub: pd.DataFrame) -> tuple[list, list]:
    """(lrs where no seed of any arm diverged, the others) of one depth's rows."""
    bad = sub.groupby("lr")["diverged"].max() == 1
    return sorted(bad.index[~bad]), sorted(bad.index[bad])


def lr_sensitivity(df: pd.DataFrame, claim: Claim) -> dict:
    """Per depth: spread (std or max−min) over lr of log loss, BN arm minus none.

    Only lrs where no seed of either arm diverged enter, so both arms are
    measured over the same lrs and divergence does not pose as sensitivity.
    """
    p, seeds = claim.params, sorted(df["seed"].unique())
    without, with_ = p.get("arms", ("none", "pre"))
    _require(df, "bn", [without, with_])
    df = df[df["bn"].isin([without, with_])]
    spread = {
        "std": lambda w: w.std(axis=1, ddof=1),
        "range": lambda w: w.max(axis=1) - w.min(axis=1),
    }[p["stat"]]
    per_depth, notes = {}, []
    for depth, sub in df.groupby("depth"):
        used, excluded = _stable_lrs(sub)
        note = f"depth {depth}: lr {', '.join(map(str, used))} used"
        if excluded:
            note += f", {', '.join(map(str, excluded))} excluded (diverged)"
        notes.append(note)
        if len(used) < 2:
            continue
        sub = _usable(sub[sub["lr"].isin(used)], [claim.metric])
        wide = _wide(sub, ["bn", "lr"], _log(sub[claim.metric]), seeds, {"bn": [without, with_]})
        per_depth[depth] = spread(wide[with_]) - spread(wide[without])
    if not per_depth:
        raise _Undecidable("; ".join([*notes, "fewer than 2 non-diverging lrs at every depth"]))
    per_seed = pd.DataFrame(per_depth).mean(axis=1, skipna=False)
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


JUDGES = {
    "gain_contrast": gain_contrast,
    "arm_contrast": arm_contrast,
    "interior_optimum": interior_optimum,
    "gradient_evenness": gradient_evenness,
    "lr_sensitivity": lr_sensitivity,
    "max_stable_lr": max_stable_lr,
}


# ---- the claims, in STUDY.md order ---------------------------------------------------
# Advice templates: one sentence per verdict, each stating the result the data chose;
# "{ci}" becomes the effect with its interval and seed count (see CI_TEXT).


def _advice(supported: str, contradicted: str, inconclusive: str) -> dict:
    return {SUPPORTED: supported, CONTRADICTED: contradicted, INCONCLUSIVE: inconclusive}


# The table is laid out by hand, one block per claim, to read like STUDY.md §5.
# fmt: off
CLAIMS = [
    Claim("D1", "simple", "On simple data with a simple model, BN brings no real gain",
          "final_test"),
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
                "margin": MARGIN_5PCT},
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
    Claim("B1", "batch", "BN needs a large enough batch: at tiny batches it gives no gain or "
          "hurts, at ≥ 32 it helps", "final_test"),
    Claim("B2", "batch", "Running statistics get more accurate as batch size grows", "bn_mean_gap"),
    Claim(
        "L1", "lr", "Models with BN are more sensitive to the learning rate", "final_test",
        test="lr_sensitivity",
        params={"stat": "std"},
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
        test="lr_sensitivity",
        params={"stat": "range"},
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
    Claim("S1", "schedule", "A decaying schedule beats a constant lr and calms late training",
          "final_test"),
    Claim("S2", "schedule", "Halving the lr every epoch decays too fast and under-trains",
          "final_test"),
    Claim("I1", "init", "With BN, the choice of initialization stops mattering", "final_test"),
    Claim("O1", "optimizer", "Adam without BN speeds up convergence about as much as BN with "
          "SGD; Adam + BN is fastest", "speed"),
    Claim("O2", "bn_layers", "With sigmoid, more BN layers converge faster; with ReLU one BN "
          "layer is enough", "speed"),
    Claim("N1", "lenet", "BN lets LeNet train at lr 1.0 and reach higher accuracy in 10 epochs",
          "final_acc"),
    Claim("N2", "lenet", "Hand-written BN behaves like the library's", "final_acc"),
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
    Claim("R1", "lr_range", "The LR range test predicts a good lr", "final_test"),
]
# fmt: on

CLAIM_IDS = [c.id for c in CLAIMS]
_BY_ID = {c.id: c for c in CLAIMS}


def claim_statement(claim_id: str) -> str:
    """The claim as tutorials state it (STUDY.md §5)."""
    return _BY_ID[claim_id].statement


def judge(claim: Claim, summaries: dict[str, pd.DataFrame]) -> dict:
    """One claim's verdict row."""
    row = {"claim": claim.id, "family": claim.family}
    summary = summaries.get(claim.family)
    if summary is None or summary.empty:
        return row | _result(NOT_RUN, detail=f"family {claim.family} did not run")
    if claim.test is None:
        return row | _result(NOT_RUN, detail="judge not implemented yet")
    try:
        return row | JUDGES[claim.test](summary, claim)
    except _Undecidable as why:
        return row | _result(INCONCLUSIVE, detail=str(why))


def judge_all(summaries: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One verdict row per claim of STUDY.md §5, in that order (columns: COLUMNS)."""
    return pd.DataFrame([judge(c, summaries) for c in CLAIMS], columns=COLUMNS)


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
        text = template.format(ci=CI_TEXT.format(**numbers), **numbers)
        out.append({"claim": row.claim, "verdict": row.verdict, "text": text})
    return out


def judge_files(summary_paths: dict[str, str], claims_out: str) -> pd.DataFrame:
    """Judge every claim from the families' summary CSVs; write the claims table atomically."""
    from bnstudy import io

    summaries = {family: pd.read_csv(path) for family, path in summary_paths.items()}
    claims = judge_all(summaries)
    io.write_csv(claims_out, claims)
    return claims
