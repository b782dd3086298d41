"""What the study knows about each experiment family, in one place: the family spec.

A known family (STUDY.md §4, docs/study.md) is one :class:`FamilySpec`: its report
title and question, the task its dataset poses (regression or classification),
the figures it draws, how its learning curves are laid out, which numbers its
table shows besides the final metric, and any figure it draws its own way.
Adding a family of the known kind means adding one entry to :data:`FAMILIES`
(and its claims to ``bnstudy/claims/catalogue.py``).

The figures themselves are described here as data too: :class:`Panels` says
which summary metrics (:class:`Y`) a metric-against-parameter figure plots
against which grid axis, split how; :data:`CAPTIONS` says what each figure shows.
A family the study does not know (a user's own) gets the generic figures:
learning curves and its final metric against each of its grid axes.

The Snakefile imports this module to know which figure jobs to make, so it stays
light: no matplotlib, pandas or torch.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import NamedTuple

from bnstudy.vocab import CI_LABEL, RANGE_TEST_SMOOTHING

_CI = CI_LABEL


# --------------------------------------------------------------------------- figure specs


class Y(NamedTuple):
    """A summary metric on a y axis: its column, axis label, log scale?, short panel title."""

    metric: str
    label: str
    log: bool
    short: str


#: The runs' final metric: accuracy for classification, else the geometric-mean test loss.
FINAL = "final"
SPEED = Y("speed", "speed: mean log test loss (lower = faster)", False, "speed")
ACCURACY = Y("final_acc", "final test accuracy", False, "final accuracy")
VOLATILITY = Y("volatility", "volatility (late test-loss changes)", True, "volatility")
GRAD_RATIO = Y("grad_ratio", "grad. norm first / last layer", True, "gradient ratio")
BN_GAP = Y("bn_gap", "running-stat. error (mean + var gap)", True, "running statistics")
_GRAD_TITLE = "first-to-last layer gradient-norm ratio"


class Panels(NamedTuple):
    """A metric-against-parameter figure: which metrics, against what, split how.

    ``ys`` holds :class:`Y` metrics or :data:`FINAL`; ``line`` and ``panel`` are grid
    axes (or None); ``{ci}`` in ``title`` becomes the interval's confidence.
    """

    ys: tuple
    x: str
    line: str | None
    panel: str | None = None
    xlog: bool = False
    title: str = ""
    reference: float | None = None


#: The metric-against-parameter figures of the known families, by name.
PANEL_FIGURES: dict[str, Panels] = {
    "final_vs_depth": Panels((FINAL,), "depth", "bn", "act", title="final test loss vs depth"),
    "error_vs_lr": Panels(
        (FINAL,),
        "lr",
        "bn",
        "depth",
        xlog=True,
        title="final test loss vs learning rate ({ci} intervals; × = k/n seeds diverged)",
    ),
    "final_vs_batch": Panels(
        (FINAL,), "batch_size", "bn", "depth", xlog=True, title="final test loss vs batch size"
    ),
    # BN runs only (the panels: one per BN placement).
    "running_stats": Panels(
        (BN_GAP,),
        "batch_size",
        "depth",
        "bn",
        xlog=True,
        title="error of BN's running statistics vs batch size",
    ),
    "final_vs_schedule": Panels(
        (FINAL, VOLATILITY), "schedule", "bn", title="final loss and late volatility per schedule"
    ),
    "final_vs_init": Panels(
        (FINAL,), "init", "bn", "act", title="final test loss per initialization"
    ),
    "speed_acc_vs_optimizer": Panels(
        (SPEED, ACCURACY),
        "optimizer",
        "bn_layers",
        "act",
        title="speed and final accuracy per optimizer",
    ),
    "speed_acc_vs_bn_layers": Panels(
        (SPEED, ACCURACY), "bn_layers", "act", title="speed and final accuracy vs BN layers"
    ),
    "acc_vs_batch": Panels(
        (ACCURACY,), "batch_size", "bn_layers", xlog=True, title="final test accuracy vs batch size"
    ),
    "acc_vs_lr": Panels(
        (ACCURACY,), "lr", "bn", xlog=True, title="final test accuracy vs learning rate"
    ),
    "grad_ratio": Panels((GRAD_RATIO,), "depth", "bn", "act", title=_GRAD_TITLE, reference=1.0),
}
#: Figures drawn by a function of their own (``bnstudy.figures``), not from a Panels spec.
DRAWN_FIGURES = ("curves", "lr_trajectories", "bn_affine", "range_test", "d2l_accuracy")
#: A generic figure's name: the final metric against one grid axis.
GENERIC_PREFIX = "final_vs_"


# --------------------------------------------------------------------------- captions
# Plain strings, so that the Snakefile can hand a figure's caption to Snakemake's own
# report (``report()``) without importing the plotting stack.

_DIVERGED_NOTE = "A cross at the top marks points where seeds diverged (k/n: k of n seeds)."
SEED_BAND = "mean over the non-diverged seeds; the band spans the lowest to the highest seed."
_BAND = SEED_BAND

#: One caption per figure; the report prints them under the figures.
CAPTIONS: dict[str, str] = {
    "curves": f"Learning curves: test loss per epoch, {_BAND}",
    "final_vs_depth": (
        f"Final test loss against depth: geometric mean over the non-diverged seeds with its "
        f"{_CI} interval. {_DIVERGED_NOTE}"
    ),
    "error_vs_lr": (
        f"Final test loss against the learning rate: geometric mean over the non-diverged seeds "
        f"with its {_CI} interval. A cross at the top marks learning rates where seeds diverged "
        "(k/n: k of n seeds); those seeds are left out of the mean."
    ),
    "grad_ratio": (
        f"Ratio of the first to the last layer's gradient norm (mean over training), geometric "
        f"mean over the non-diverged seeds with its {_CI} interval. Below the dashed line at "
        "ratio 1 the early layers receive smaller gradients (vanishing gradients)."
    ),
    "final_vs_batch": (
        f"Final test loss against the batch size (log scale): geometric mean over the "
        f"non-diverged seeds with its {_CI} interval, one panel per depth. {_DIVERGED_NOTE}"
    ),
    "running_stats": (
        "Error of BN's running statistics at the end of training against the batch size: the "
        "mean absolute gap between each BN layer's running mean and variance and the true "
        "statistics of its input over the training set (mean gap + variance gap, averaged "
        f"over layers), geometric mean over the seeds with its {_CI} interval."
    ),
    "final_vs_schedule": (
        "Final test loss (left) and volatility (right: the standard deviation of the "
        "epoch-to-epoch change of the test loss over the last 10 epochs) per learning-rate "
        f"schedule: geometric means over the non-diverged seeds with {_CI} intervals."
    ),
    "lr_trajectories": (
        "The learning rate each schedule actually used, per epoch (mean over the epoch's "
        "steps), mean over the non-diverged seeds; the band spans the seeds (only the "
        "plateau schedule, steered by the training loss, differs between seeds)."
    ),
    "final_vs_init": (
        f"Final test loss per weight initialization: geometric mean over the non-diverged seeds "
        f"with its {_CI} interval, one panel per activation. {_DIVERGED_NOTE}"
    ),
    "speed_acc_vs_optimizer": (
        "Convergence speed (top: the mean over epochs of the log test loss, lower is faster) "
        f"and final test accuracy (bottom) per optimizer: means over the non-diverged seeds with "
        f"{_CI} intervals, one panel per activation, one line per number of BN layers."
    ),
    "speed_acc_vs_bn_layers": (
        "Convergence speed (left: the mean over epochs of the log test loss, lower is faster) "
        "and final test accuracy (right) against the number k of hidden layers followed by BN: "
        f"means over the non-diverged seeds with {_CI} intervals, one line per activation."
    ),
    "acc_vs_batch": (
        f"Final test accuracy against the batch size (log scale): mean over the non-diverged "
        f"seeds with its {_CI} interval, one line per number of BN layers. {_DIVERGED_NOTE}"
    ),
    "acc_vs_lr": (
        f"Final test accuracy against the learning rate: mean over the non-diverged seeds with "
        f"its {_CI} interval, one line per BN variant. {_DIVERGED_NOTE}"
    ),
    "bn_affine": (
        "The first BN layer's learned scale γ (top) and shift β (bottom) per channel at the end "
        f"of training, one panel per learning rate: mean over the seeds with its {_CI} interval, "
        "small dots the individual seeds; the dashed line is the initial value (γ = 1, β = 0). "
        "Library and hand-written BN should learn the same parameters."
    ),
    "d2l_accuracy": (
        "Final test accuracy of d2l's LeNet setting per BN variant: each seed (small dots), "
        f"the mean with its {_CI} interval, and the published single runs of the book at the "
        "same setting (filled diamond: the book's run; open diamond: its second execution)."
    ),
    "range_test": (
        "LR range test: training loss per optimizer step against that step's learning rate, "
        "smoothed as for the suggestion (bias-corrected exponential moving average of the "
        f"loss and of log lr, β = {RANGE_TEST_SMOOTHING}), {_BAND} The dashed vertical line marks "
        "the suggested learning rate (geometric mean over the seeds)."
    ),
}
CURVES_ACCURACY = f"Learning curves: test accuracy per epoch (evaluation mode), {_BAND}"
DIVERGED_NOTE = _DIVERGED_NOTE


# --------------------------------------------------------------------------- the families


class CurveLayout(NamedTuple):
    """Learning-curve panels: one row per ``rows`` value, one column per ``columns``
    value, one line per ``lines`` value (None: a single row, column or line)."""

    rows: str | None
    columns: str | None
    lines: str | None


@dataclass(frozen=True)
class FamilySpec:
    """Everything the pipeline knows about one known experiment family."""

    name: str
    title: str  # the report section's title
    description: str  # the question the family asks, one or two sentences
    task: str  # what its dataset poses: "regression" or "classification"
    figures: tuple[str, ...]  # figure names, in the order the report shows them
    curves: CurveLayout  # how its learning curves are laid out
    table_extras: tuple[str, ...] = ()  # numbers its table shows after the final metric
    # Its own version of a figure of PANEL_FIGURES (the lr family's gradient ratio is vs lr).
    panels: dict[str, Panels] = field(default_factory=dict)

    @property
    def classification(self) -> bool:
        return self.task == "classification"

    def panel_figure(self, name: str) -> Panels:
        """The Panels spec of figure ``name`` as this family draws it."""
        return self.panels.get(name, PANEL_FIGURES[name])


_REG, _CLS = "regression", "classification"

#: The study's families, in the order of the study (and of the report).
FAMILIES: dict[str, FamilySpec] = {
    spec.name: spec
    for spec in (
        FamilySpec(
            "depth",
            "Depth, activation and BN placement",
            "Does BN's benefit depend on depth and on the activation, and does its placement "
            "(before or after the activation) matter? Fixed learning rate and batch size.",
            _REG,
            ("curves", "final_vs_depth", "grad_ratio"),
            CurveLayout("depth", "act", "bn"),
            table_extras=("grad_ratio",),
        ),
        FamilySpec(
            "simple",
            "Simple data: the linear control",
            "The control: on a linear target a shallow network has nothing for BN to fix, so "
            "BN should bring no real gain there.",
            _REG,
            ("curves", "final_vs_depth"),
            CurveLayout("depth", "act", "bn"),
        ),
        FamilySpec(
            "batch",
            "Batch size",
            "BN normalizes with the statistics of each mini-batch: how small may the batch get "
            "before BN stops helping, and how accurate are its running statistics?",
            _REG,
            ("curves", "final_vs_batch", "running_stats"),
            CurveLayout("depth", "bn", "batch_size"),
            table_extras=("bn_gap",),
        ),
        FamilySpec(
            "lr",
            "Learning rate",
            "How sensitive is the final error to the learning rate with and without BN, and "
            "which learning rates diverge?",
            _REG,
            ("curves", "error_vs_lr", "grad_ratio"),
            CurveLayout("depth", "bn", "lr"),
            table_extras=("grad_ratio",),
            panels={
                "grad_ratio": Panels(
                    (GRAD_RATIO,), "lr", "bn", "depth", xlog=True, title=_GRAD_TITLE, reference=1.0
                )
            },
        ),
        FamilySpec(
            "schedule",
            "Learning-rate schedules",
            "Does decaying the learning rate beat a constant one, and does it calm late "
            "training? Eight schedules from the same base learning rate, with and without BN.",
            _REG,
            ("curves", "final_vs_schedule", "lr_trajectories"),
            CurveLayout(None, "bn", "schedule"),
            table_extras=("volatility",),
        ),
        FamilySpec(
            "init",
            "Weight initialization",
            "Does BN make the choice of weight initialization irrelevant? Three "
            "initializations of a deep network, with and without BN.",
            _REG,
            ("curves", "final_vs_init"),
            CurveLayout("act", "init", "bn"),
        ),
        FamilySpec(
            "optimizer",
            "Optimizers on images",
            "Is Adam without BN as fast as SGD with BN, and is Adam with BN fastest? The wide "
            "MLP on images, with BN after its first hidden layer or without BN.",
            _CLS,
            ("curves", "speed_acc_vs_optimizer"),
            CurveLayout("act", "optimizer", "bn_layers"),
            table_extras=("speed",),
        ),
        FamilySpec(
            "bn_layers",
            "How many BN layers",
            "With BN after the first k hidden layers of the wide MLP: does more BN mean faster "
            "convergence, and is one BN layer enough with ReLU?",
            _CLS,
            ("curves", "speed_acc_vs_bn_layers"),
            CurveLayout(None, "act", "bn_layers"),
            table_extras=("speed",),
        ),
        FamilySpec(
            "image_batch",
            "Batch size on images",
            "The batch-size question again on images: the wide MLP with one BN layer or none, "
            "from tiny to large batches.",
            _CLS,
            ("curves", "acc_vs_batch"),
            CurveLayout(None, "bn_layers", "batch_size"),
        ),
        FamilySpec(
            "lenet",
            "LeNet-5 with library and hand-written BN",
            "The Dive-into-Deep-Learning experiment with seeds: sigmoid LeNet-5 without BN "
            "at several learning rates, and with BN (the library's, or the hand-written one "
            "where the config lists it).",
            _CLS,
            ("curves", "acc_vs_lr", "bn_affine"),
            CurveLayout(None, "lr", "bn"),
        ),
        FamilySpec(
            "lenet_d2l",
            "Reproducing Dive into Deep Learning's LeNet table",
            "d2l's published setting exactly (all 60,000 training images, batch 256, 10 "
            "epochs, plain SGD; no BN at lr 0.9, BN at lr 1.0), with seeds: where does each "
            "published single run fall in our distribution over seeds?",
            _CLS,
            ("curves", "d2l_accuracy"),
            CurveLayout(None, None, "bn"),
        ),
        FamilySpec(
            "lr_range",
            "The LR range test",
            "The LR range test: one run per seed sweeps the learning rate exponentially and "
            "suggests the lr where the smoothed loss falls fastest.",
            _REG,
            ("curves", "range_test"),
            CurveLayout(None, "depth", "bn"),
            table_extras=("suggested_lr",),
        ),
    )
}
KNOWN_FAMILIES: tuple[str, ...] = tuple(FAMILIES)


def figure_names(family: str, grid_keys: list[str]) -> list[str]:
    """The figures drawn for ``family``, whose grid crosses ``grid_keys``.

    A known family draws its own figures; any other family draws learning curves
    and its final metric against each grid axis.

    >>> figure_names("simple", ["depth", "act", "bn"])
    ['curves', 'final_vs_depth']
    >>> figure_names("my_widths", ["width", "bn"])
    ['curves', 'final_vs_bn', 'final_vs_width']
    """
    if family in FAMILIES:
        return list(FAMILIES[family].figures)
    return ["curves"] + [f"{GENERIC_PREFIX}{key}" for key in sorted(grid_keys)]


def is_generic_figure(family: str, name: str) -> bool:
    """Whether figure ``name`` of ``family`` is the generic final-metric-vs-axis plot.

    >>> is_generic_figure("depth", "final_vs_depth"), is_generic_figure("mine", "final_vs_depth")
    (False, True)
    """
    if not name.startswith(GENERIC_PREFIX) or len(name) == len(GENERIC_PREFIX):
        return False
    return family not in FAMILIES or name not in FAMILIES[family].figures


def ordered_families(names) -> list[str]:
    """Family names in canonical order: the known ones in study order, then the others
    sorted, so that the order of the blocks in a config file never matters.

    >>> ordered_families(["mine", "lr", "depth", "another"])
    ['depth', 'lr', 'another', 'mine']
    """
    names = list(names)
    return [f for f in KNOWN_FAMILIES if f in names] + sorted(f for f in names if f not in FAMILIES)


def family_name_warnings(families, known=KNOWN_FAMILIES) -> list[str]:
    """A warning for each family name that looks like a typo of a known family.

    A new name is a family of the user's own (reported under "Additional
    experiments"); one close to a known name (``depthh``) is more likely a typo.

    >>> [w[:51] for w in family_name_warnings({"depthh": {}, "mine": {}}, ["depth", "lr"])]
    ["family 'depthh' is not a study family; did you mean"]
    """
    out = []
    for name in families:
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        if close:
            out.append(
                f"family {name!r} is not a study family; did you mean {close[0]!r}? "
                "It runs as an additional experiment"
            )
    return out


#: Readable names of configuration columns, for legends, axis labels and captions.
AXIS_NAMES = {
    "bn": "BN",
    "act": "activation",
    "lr": "learning rate",
    "batch_size": "batch size",
    "bn_layers": "BN layers",
    "init": "initialization",
}


def axis_name(col: str | None) -> str:
    """A configuration column in words: ``batch_size`` → "batch size"."""
    if col is None:
        return ""
    return AXIS_NAMES.get(col, col.replace("_", " "))


def figure_caption_text(family: str, name: str, classification: bool | None = None) -> str:
    """The caption of figure ``name`` of ``family`` without its data.

    ``classification`` says whether the family's runs classify (accuracy rather than
    loss); unknown, a known family's spec says, and a family of the user's own is
    taken to regress.

    >>> figure_caption_text("my_widths", "final_vs_width")[:40]
    'Final test loss: geometric mean over the'
    """
    if classification is None:
        classification = family in FAMILIES and FAMILIES[family].classification
    if name == "curves" and classification:
        return CURVES_ACCURACY
    if is_generic_figure(family, name):
        axis = name.removeprefix(GENERIC_PREFIX)
        what = "Final test accuracy: mean" if classification else "Final test loss: geometric mean"
        return (
            f"{what} over the non-diverged seeds with its {_CI} interval, against "
            f"{axis_name(axis)}. {_DIVERGED_NOTE}"
        )
    return CAPTIONS.get(name, "")
