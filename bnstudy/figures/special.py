"""The figures of one family each, drawn their own way.

* ``lr_trajectories`` (schedule family): the learning rate each schedule used,
  drawn as learning curves of the ``lr`` metric;
* ``bn_affine`` (LeNet family): the first BN layer's learned γ and β per channel;
* ``range_test`` (lr_range family): the LR range test's smoothed loss against the
  smoothed learning rate, smoothed exactly as the suggestion reads it
  (β = :data:`bnstudy.vocab.RANGE_TEST_SMOOTHING`), the suggestion marked;
* ``d2l_accuracy`` (lenet_d2l family): each setting's seeds, mean and interval, beside
  the published single runs of Dive into Deep Learning at the same setting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bnstudy.figures.curves import curve_panels, seed_counts
from bnstudy.figures.layout import config_table, fmt_value, param_label
from bnstudy.figures.panels import headroom, interval_plot
from bnstudy.figures.style import legend, line_colours, log_y, new_figure, note, panel_title
from bnstudy.report.published import d2l_runs
from bnstudy.stats import aggregate
from bnstudy.summary import ordered_values
from bnstudy.vocab import CI_LABEL, RANGE_TEST_SMOOTHING

# --------------------------------------------------------------------------- lr trajectories


def lr_trajectories(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """The learning rate per epoch, a panel per BN variant, a line per schedule."""
    return curve_panels(
        family,
        tidy,
        summary,
        "lr",
        "learning rate (mean per epoch)",
        ylog=True,
        title=f"{family} family: the learning rate each schedule used",
        layout=(config_table(summary), None, "bn", "schedule"),
    )


# --------------------------------------------------------------------------- BN's γ and β


def _bn1_params(tidy: pd.DataFrame) -> pd.DataFrame:
    """The first BN layer's learned parameters: columns config_id, seed, value, which, channel."""
    found = tidy["metric"].str.extract(r"^bn1_(gamma|beta)\.(\d+)$")
    return tidy.loc[found[0].notna(), ["config_id", "seed", "value"]].assign(
        which=found[0].dropna(), channel=found[1].dropna().astype(int)
    )


def bn_affine(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """γ and β of the first BN layer per channel, per lr, one series per BN variant."""
    params = _bn1_params(tidy)
    runs = summary.loc[summary["bn"] != "none", ["config_id", "seed", "bn", "lr", "diverged"]]
    if runs.empty or params.empty:
        raise ValueError(f"family {family!r} recorded no learned BN parameters (bn1_gamma.<c>)")
    channels = pd.DataFrame({"channel": sorted(params["channel"].unique())})
    # One row per (run, channel), so that diverged runs, which record no γ/β, are counted.
    frame = runs.merge(channels, how="cross")
    lrs = ordered_values(runs, "lr")
    fig, axes = new_figure(2, len(lrs), row_height=2.0, sharey="row")
    slots = 0
    for r, (which, symbol, init) in enumerate([("gamma", "γ", 1.0), ("beta", "β", 0.0)]):
        values = params.loc[params["which"] == which, ["config_id", "seed", "channel", "value"]]
        rows = frame.merge(values, on=["config_id", "seed", "channel"], how="left")
        agg = aggregate(rows, ["lr", "bn", "channel"], "value")
        seeds = rows[(rows["diverged"] == 0) & rows["value"].notna()]
        for c, lr in enumerate(lrs):
            ax = axes[r, c]
            ax.axhline(init, color="0.4", ls="--", lw=0.9, label="_initial")
            marked = interval_plot(
                ax,
                agg[agg["lr"] == lr],
                "channel",
                "bn",
                xlog=False,
                dodge=0.25,
                points=seeds[seeds["lr"] == lr],
                connect=False,  # channels are not a continuum
            )
            slots = max(slots, marked)
            panel_title(ax, f"{symbol} · lr {fmt_value(lr)}")
            ax.set_xticks(channels["channel"].tolist())
            if c == 0:
                ax.set_ylabel(f"learned {symbol} ({which})")
            if r == 1:
                ax.set_xlabel("channel of the first BN layer")
    headroom(axes, slots)
    legend(fig, axes, "BN", [fmt_value(v) for v in ordered_values(runs, "bn")])
    fig.suptitle(
        f"{family} family: first BN layer's learned γ and β per channel ({CI_LABEL} intervals)",
        fontsize=10,
    )
    return fig


# --------------------------------------------------------------------------- LR range test


def smoothed_sweeps(tidy: pd.DataFrame, ok: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per non-diverged seed (``ok``: config_id, seed), the range test's smoothed loss and lr.

    Both are bias-corrected exponential moving averages (pandas' ``adjust=True``)
    with β = RANGE_TEST_SMOOTHING, the lr on the log scale, as
    ``bnstudy.schedules.suggest_lr`` smooths them; a sweep ends at its first
    non-finite loss. Returns (loss, lr) frames indexed by (config_id, seed) with one
    column per step.
    """
    sweep = tidy[tidy["metric"].isin(["range_lr", "range_loss"])].merge(
        ok, on=["config_id", "seed"]
    )
    wide = sweep.pivot_table(
        index=["config_id", "seed", "epoch"], columns="metric", values="value", aggfunc="first"
    )
    ema = dict(alpha=1 - RANGE_TEST_SMOOTHING, adjust=True)
    losses, lrs = {}, {}
    for key, one in wide.groupby(level=[0, 1]):
        one = one.droplevel([0, 1]).sort_index()
        bad = ~(np.isfinite(one["range_loss"]) & (one["range_lr"] > 0))
        one = one[~bad.cumsum().astype(bool)]
        losses[key] = one["range_loss"].ewm(**ema).mean()
        lrs[key] = np.exp(np.log(one["range_lr"]).ewm(**ema).mean())
    return pd.DataFrame(losses).T, pd.DataFrame(lrs).T


def _suggested_lr(summary: pd.DataFrame, cid: str) -> float | None:
    """The geometric mean of the lr suggested by the non-diverged seeds of ``cid``."""
    suggested = summary.loc[
        (summary["config_id"] == cid) & (summary["diverged"] == 0), "suggested_lr"
    ].to_numpy(dtype=float)
    suggested = suggested[np.isfinite(suggested) & (suggested > 0)]
    return float(np.exp(np.log(suggested).mean())) if len(suggested) else None


def _range_panel(ax, here, summary, sweeps, seeds, colours) -> list:
    """One panel of the range test: a band and mean per BN variant, its suggestion dashed.

    ``sweeps`` is :func:`smoothed_sweeps`' (loss, lr); ``colours`` maps each BN variant,
    in legend order, to its colour. Returns the first finite smoothed loss of each line drawn.
    """
    losses, lrs = sweeps
    notes, starts = [], []
    for bn in colours:
        for cid in here.index[here["bn"] == bn]:
            k, n = int(seeds.loc[cid, "k"]), int(seeds.loc[cid, "n"])
            if k:
                notes.append(f"{bn}: {k}/{n} diverged")
            if cid not in losses.index.get_level_values(0):
                continue
            loss, lr = losses.loc[cid], lrs.loc[cid].mean(axis=0)
            x = lr.to_numpy(dtype=float)
            ax.fill_between(
                x, loss.min(axis=0), loss.max(axis=0), color=colours[bn], alpha=0.18, lw=0
            )
            mean = loss.mean(axis=0).to_numpy(dtype=float)
            ax.plot(x, mean, color=colours[bn], lw=1.3, label=fmt_value(bn))
            starts.append(mean[np.isfinite(mean)][:1])
            suggested = _suggested_lr(summary, cid)
            if suggested is not None:
                ax.axvline(suggested, color=colours[bn], ls="--", lw=1.1, label="_suggested")
            else:
                notes.append(f"{bn}: no suggested lr")
    if notes:
        note(ax, "\n".join(notes), "upper left")
    return starts


def range_test(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """The smoothed training loss against the smoothed lr, a panel per depth, a line per BN."""
    configs = config_table(summary)
    panel_col = "depth" if "depth" in configs else None
    panels = ordered_values(configs, panel_col) if panel_col else [None]
    lines = ordered_values(configs, "bn")
    colours = line_colours("bn", lines)
    ok = summary.loc[summary["diverged"] == 0, ["config_id", "seed"]]
    sweeps = smoothed_sweeps(tidy, ok)
    seeds = seed_counts(summary)
    fig, axes = new_figure(1, len(panels), row_height=2.6)
    starts = []
    for c, pv in enumerate(panels):
        ax = axes[0, c]
        here = configs if pv is None else configs[configs[panel_col] == pv]
        panel_title(ax, param_label(panel_col, pv) if pv is not None else "all runs")
        starts += _range_panel(ax, here, summary, sweeps, seeds, colours)
        ax.set_xscale("log")
        log_y(ax)
        ax.set_xlabel("learning rate (smoothed)")
    axes[0, 0].set_ylabel("training loss per step (smoothed)")
    # The sweep ends in an explosion; keep the interesting part in view.
    start = np.concatenate(starts) if starts else np.array([])
    if start.size:
        lo, hi = axes[0, 0].get_ylim()
        axes[0, 0].set_ylim(lo, min(hi, 3 * float(start.max())))
    axes[0, -1].plot([], [], color="0.3", ls="--", lw=1.1, label="suggested lr")
    legend(fig, axes, "BN", [fmt_value(v) for v in lines] + ["suggested lr"])
    fig.suptitle(f"{family} family: LR range test (smoothed loss vs lr)", fontsize=10)
    return fig


# --------------------------------------------------------------------------- d2l's LeNet table

#: How the published runs are drawn, by execution: (marker face, legend label); black
#: diamonds, beside the setting's own seeds.
D2L_EXECUTIONS = {
    1: ("black", "d2l, the book's run"),
    2: ("white", "d2l, second execution"),
}


def d2l_settings(summary: pd.DataFrame) -> pd.DataFrame:
    """The configurations of the runs as (bn, lr, setting label), in BN order, lr high first."""
    configs = summary[["bn", "lr"]].drop_duplicates()
    bns = ordered_values(configs, "bn")
    configs = configs.assign(
        _b=configs["bn"].map({b: i for i, b in enumerate(bns)}), _l=-configs["lr"]
    ).sort_values(["_b", "_l"])
    labels = [
        f"BN {b}\nlr {fmt_value(lr)}" for b, lr in zip(configs["bn"], configs["lr"], strict=True)
    ]
    return configs.drop(columns=["_b", "_l"]).assign(setting=labels).reset_index(drop=True)


def d2l_accuracy(family: str, tidy: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """Final test accuracy per setting (seeds, mean and interval) with d2l's published runs."""
    settings = d2l_settings(summary)
    runs = summary.merge(settings, on=["bn", "lr"])
    agg = aggregate(runs, ["bn", "setting"], "final_acc")
    ok = runs[runs["diverged"] == 0]
    order = settings["setting"].tolist()
    fig, axes = new_figure(1, 1, row_height=2.8)
    ax = axes[0, 0]
    slots = interval_plot(
        ax,
        agg,
        "setting",
        "bn",
        xlog=False,
        order=order,
        dodge=0.0,
        points=ok.assign(value=ok["final_acc"])[["bn", "setting", "value"]],
    )
    at = {(b, lr): i for i, (b, lr) in enumerate(zip(settings["bn"], settings["lr"], strict=True))}
    for run in d2l_runs():
        x = at.get((run["bn"], run["lr"]))
        if x is None:
            continue
        face, label = D2L_EXECUTIONS[run["execution"]]
        ax.plot([x + 0.22], [run["value"]], "D", ms=5.5, mfc=face, mec="black", label=label)
    ax.set_xticks(range(len(order)), order)
    ax.set_xlim(-0.5, len(order) - 0.5)
    ax.set_ylabel("final test accuracy")
    panel_title(ax, "each setting: seeds, mean and interval; d2l's single runs beside it")
    headroom(axes, slots)
    labels = [fmt_value(b) for b in ordered_values(settings, "bn")]
    legend(fig, axes, "BN", labels + [label for _, label in D2L_EXECUTIONS.values()])
    fig.suptitle(
        f"{family} family: final test accuracy, {CI_LABEL} intervals",
        fontsize=10,
    )
    return fig
