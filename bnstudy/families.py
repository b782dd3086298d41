"""What each experiment family draws and how the report introduces it: a light module.

The Snakefile imports it to know which figure jobs to make, so it must not
import matplotlib or pandas. A family the study does not know (a user's own,
under a new name) gets the generic figures: learning curves and the final
metric against each of its grid axes.
"""

from __future__ import annotations

#: The study's families, in the order of STUDY.md §4 (and of the report).
KNOWN_FAMILIES: tuple[str, ...] = (
    "depth",
    "simple",
    "batch",
    "lr",
    "schedule",
    "init",
    "optimizer",
    "bn_layers",
    "image_batch",
    "lenet",
    "lr_range",
)

#: Figures drawn for each known family, by name (``results/figures/<family>/<name>.svg``),
#: in the order the report shows them.
FIGURES: dict[str, list[str]] = {
    "depth": ["curves", "final_vs_depth", "grad_ratio"],
    "simple": ["curves", "final_vs_depth"],
    "batch": ["curves", "final_vs_batch", "running_stats"],
    "lr": ["curves", "error_vs_lr", "grad_ratio"],
    "schedule": ["curves", "final_vs_schedule", "lr_trajectories"],
    "init": ["curves", "final_vs_init"],
    "optimizer": ["curves", "speed_acc_vs_optimizer"],
    "bn_layers": ["curves", "speed_acc_vs_bn_layers"],
    "image_batch": ["curves", "acc_vs_batch"],
    "lenet": ["curves", "acc_vs_lr", "bn_affine"],
    "lr_range": ["curves", "range_test"],
}

#: Section titles of the known families in the report.
FAMILY_TITLES: dict[str, str] = {
    "depth": "Depth, activation and BN placement",
    "simple": "Simple data: the linear control",
    "batch": "Batch size",
    "lr": "Learning rate",
    "schedule": "Learning-rate schedules",
    "init": "Weight initialization",
    "optimizer": "Optimizers on images",
    "bn_layers": "How many BN layers",
    "image_batch": "Batch size on images",
    "lenet": "LeNet-5 with library and hand-written BN",
    "lr_range": "The LR range test",
}

#: One or two sentences per known family: the question it asks.
FAMILY_DESCRIPTIONS: dict[str, str] = {
    "depth": (
        "Does BN's benefit depend on depth and on the activation, and does its placement "
        "(before or after the activation) matter? Fixed learning rate and batch size."
    ),
    "simple": (
        "The control: on a linear target a shallow network has nothing for BN to fix, so BN "
        "should bring no real gain there."
    ),
    "batch": (
        "BN normalizes with the statistics of each mini-batch: how small may the batch get "
        "before BN stops helping, and how accurate are its running statistics?"
    ),
    "lr": (
        "How sensitive is the final error to the learning rate with and without BN, and "
        "which learning rates diverge?"
    ),
    "schedule": (
        "Does decaying the learning rate beat a constant one, and does it calm late "
        "training? Eight schedules from the same base learning rate, with and without BN."
    ),
    "init": (
        "Does BN make the choice of weight initialization irrelevant? Three initializations "
        "of a deep network, with and without BN."
    ),
    "optimizer": (
        "Is Adam without BN as fast as SGD with BN, and is Adam with BN fastest? The wide MLP "
        "on images, with BN after its first hidden layer or without BN."
    ),
    "bn_layers": (
        "With BN after the first k hidden layers of the wide MLP: does more BN mean faster "
        "convergence, and is one BN layer enough with ReLU?"
    ),
    "image_batch": (
        "The batch-size question again on images: the wide MLP with one BN layer or none, "
        "from tiny to large batches."
    ),
    "lenet": (
        "The Dive-into-Deep-Learning experiment with seeds: sigmoid LeNet-5 without BN, with "
        "the library's BN and with the hand-written BN, at three learning rates."
    ),
    "lr_range": (
        "The LR range test: one run per seed sweeps the learning rate exponentially and "
        "suggests the lr where the smoothed loss falls fastest."
    ),
}


def figure_names(family: str, grid_keys: list[str]) -> list[str]:
    """The figures drawn for ``family``, whose grid crosses ``grid_keys``.

    A known family draws its own figures; any other family draws learning curves
    and its final metric against each grid axis.

    >>> figure_names("simple", ["depth", "act", "bn"])
    ['curves', 'final_vs_depth']
    >>> figure_names("my_widths", ["width", "bn"])
    ['curves', 'final_vs_bn', 'final_vs_width']
    """
    if family in FIGURES:
        return list(FIGURES[family])
    return ["curves"] + [f"final_vs_{key}" for key in sorted(grid_keys)]


# --------------------------------------------------------------------------- captions
# Plain strings, so that the Snakefile can hand a figure's caption to Snakemake's own
# report (``report()``) without importing the plotting stack.

#: The intervals' confidence as captions print it; ``bnstudy.stats.CONFIDENCE`` is the
#: number the intervals are computed with (tests/test_figures_workflow.py keeps them equal).
CI_LABEL = "95 %"
_CI = CI_LABEL
#: ``range_test``: the smoothing of ``bnstudy.schedules.suggest_lr``, so the curve shown is
#: the one the suggestion was read from.
RANGE_SMOOTHING = 0.98
_DIVERGED_NOTE = "A cross at the top marks points where seeds diverged (k/n: k of n seeds)."
_BAND = "mean over the non-diverged seeds; the band spans the lowest to the highest seed."

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
    "range_test": (
        "LR range test: training loss per optimizer step against that step's learning rate, "
        "smoothed as for the suggestion (bias-corrected exponential moving average of the "
        f"loss and of log lr, β = {RANGE_SMOOTHING}), {_BAND} The dashed vertical line marks "
        "the suggested learning rate (geometric mean over the seeds)."
    ),
}
_CURVES_ACCURACY = f"Learning curves: test accuracy per epoch (evaluation mode), {_BAND}"
#: Known families on the ``images`` dataset, for captions drawn without their data.
_IMAGE_FAMILIES = {"optimizer", "bn_layers", "image_batch", "lenet"}


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
    loss); unknown, the study's image families are taken to.

    >>> figure_caption_text("my_widths", "final_vs_width")[:40]
    'Final test loss: geometric mean over the'
    """
    if classification is None:
        classification = family in _IMAGE_FAMILIES
    if name == "curves" and classification:
        return _CURVES_ACCURACY
    if name in CAPTIONS and (family in FIGURES or not name.startswith("final_vs_")):
        return CAPTIONS[name]
    if name.startswith("final_vs_"):
        axis = name.removeprefix("final_vs_")
        what = "Final test accuracy: mean" if classification else "Final test loss: geometric mean"
        return (
            f"{what} over the non-diverged seeds with its {_CI} interval, against "
            f"{axis_name(axis)}. {_DIVERGED_NOTE}"
        )
    return ""
