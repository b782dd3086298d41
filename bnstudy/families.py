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
