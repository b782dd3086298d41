"""The report's fixed words: what the data and models are, names, references, certainty.

Everything here is text the runs do not compute: the title, the descriptions of the
datasets and models, readable names of configuration columns and table metrics, the
references with the literature's published numbers (docs/study.md §7), and how sure
a recommendation is by its verdict. The sentences that state a result are built from
numbers elsewhere (``numbers``, ``literature``, ``advice``); the template holds layout
and connecting words.
"""

from __future__ import annotations

from bnstudy.report.fmt import CI

# The literature's published numbers, re-exported: the report quotes them as prose.LITERATURE.
from bnstudy.report.published import LITERATURE as LITERATURE

TITLE = (
    "Tuning networks with Batch Normalization: rules of thumb re-tested with seeds and intervals"
)

# --------------------------------------------------------------------------- data and models

DATASET_TEXT = {
    "poly2": (
        "Regression on standard-normal features with a quadratic target, "
        "y = 2x₁² − x₂² + 3x₃² + x₄² + 2x₅² + ε, ε ~ N(0, 1)."
    ),
    "linear": (
        "The simple-data control: the same features with a linear target, "
        "y = 2x₁ − x₂ + 3x₃ + x₄ + 2x₅ + ε."
    ),
    "images": "Ten-class grey-scale images of 1×28×28 pixels.",
}
#: What the ``images`` dataset is, by the ``source`` its meta records.
IMAGE_SOURCE_TEXT = {
    "synthetic": (
        "Procedurally generated shapes (the study's default image set): each image is one of "
        "ten shapes drawn at a random position, size, aspect ratio, rotation, stroke thickness "
        "and contrast over a background of random brightness, with clutter strokes and pixel "
        "noise, from a seeded generator."
    ),
    "fashion_mnist": (
        "Fashion-MNIST (Xiao et al., 2017), the study's default image data, read from its four "
        "standard IDX files: grey-scale photographs of clothing and accessories."
    ),
}
#: Whether the Fashion-MNIST files' content was checked, by the meta's ``verified``.
INTEGRITY_TEXT = {
    True: (
        "Before any job ran, the content of each file was checked against the published "
        "Fashion-MNIST after decompression (magic number, sample count and SHA-256 of the "
        "decompressed bytes), so a recompressed copy passes and a corrupt or truncated one "
        "stops the pipeline."
    ),
    False: (
        "The files' content was not checked against the published Fashion-MNIST "
        "(verify_checksums off): they may be a subset or another IDX set."
    ),
}
#: What the validation split is, after its size.
VALIDATION_TEXT = (
    "The validation samples are held out of the training data (chosen by the dataset seed): "
    "they are never trained on, every selection the claims make reads them, and the test "
    "samples are only reported."
)
#: What an image dataset whose meta lacks its source says.
SOURCE_NOT_RECORDED = " Its source (procedural shapes or Fashion-MNIST) was not recorded."
#: Meta entries the dataset text already says in words (or that are too long to list).
META_IN_TEXT = {
    "name",
    "task",
    "source",
    "class_names",
    "input_shape",
    "n_train",
    "n_val",
    "n_test",
    "folder",
    "verified",
}

MODEL_TEXT = {
    "mlp": (
        "MLP-d: d hidden layers of equal width; BN placement none, pre "
        "(Linear → BN → activation) or post (Linear → activation → BN), with PyTorch's "
        "BN momentum and eps."
    ),
    "wide_mlp": (
        "Wide MLP for images: 784-512-256-128-64-10 (the image flattened, four hidden layers, "
        "ten outputs); BN (Linear → BN → activation) after the first k hidden layers."
    ),
    "lenet": (
        "LeNet-5 as in the Dive-into-Deep-Learning BN chapter: Conv(1→6, 5) → [BN] → sigmoid → "
        "avg-pool 2 → Conv(6→16, 5) → [BN] → sigmoid → avg-pool 2 → Linear(256→120) → [BN] → "
        "sigmoid → Linear(120→84) → [BN] → sigmoid → Linear(84→10); Xavier-uniform init, "
        "cross-entropy, accuracy measured in evaluation mode. Variants: none (no BN), library "
        "(torch.nn.BatchNorm1d/2d) and scratch (BN written in this project: batch statistics "
        "in training, running averages in evaluation, per-channel statistics over N·H·W for "
        "convolutions)."
    ),
}
#: The configuration columns that shape each model (the others do not apply to it).
MODEL_PARAMS = {
    "mlp": ("depth", "width", "act", "bn", "init"),
    "wide_mlp": ("act", "bn_layers", "init"),
    "lenet": ("bn",),
}
#: What a model the report does not know lists of its architecture.
DEFAULT_MODEL_PARAMS = ("depth", "width", "act", "bn")

# --------------------------------------------------------------------------- names

#: Readable names of configuration columns.
PARAM_NAMES = {
    "dataset": "dataset",
    "model": "model",
    "depth": "depth",
    "width": "width",
    "act": "activation",
    "bn": "BN",
    "bn_layers": "BN layers",
    "init": "initialization",
    "optimizer": "optimizer",
    "lr": "learning rate",
    "momentum": "momentum",
    "nesterov_momentum": "Nesterov momentum",
    "schedule": "schedule",
    "schedule_k": "schedule time constant",
    "range_end": "range-test end lr",
    "batch_size": "batch size",
    "epochs": "epochs",
    "diverge_factor": "divergence factor",
    "validation": "validation held out",
    "lr_sweep": "lr sweep",
}
#: Columns whose values name themselves in a configuration label ("relu", not "act relu").
SELF_NAMED = ("act", "optimizer", "schedule")


def param_name(col: str) -> str:
    """A configuration column in words: ``act`` → "activation"."""
    return PARAM_NAMES.get(col, col)


#: Table metric -> (column header, geometric mean?, what it is, for the table's caption).
TABLE_METRICS = {
    "final_acc": ("final accuracy", False, "test accuracy at the last epoch (mean)"),
    "grad_ratio": (
        "gradient ratio first/last",
        True,
        "the first layer's gradient norm over the last layer's (geometric mean)",
    ),
    "bn_gap": (
        "running-stat. error",
        True,
        "gap between BN's running mean and variance and the true statistics (geometric mean; "
        "BN runs only)",
    ),
    "volatility": (
        "volatility",
        True,
        "std of the epoch-to-epoch test-loss change over the last epochs (geometric mean)",
    ),
    "speed": ("speed", False, "mean over epochs of the log test loss, lower is faster (mean)"),
    "suggested_lr": ("suggested lr", True, "the LR range test's suggestion (geometric mean)"),
}
#: A metric as a figure's key numbers name it ("lowest gradient ratio 0.12 ...").
KEY_NUMBER_NAMES = {
    "grad_ratio": "gradient ratio",
    "bn_gap": "running-statistics error",
    "speed": "speed",
    "volatility": "volatility",
}

# --------------------------------------------------------------------------- literature

#: The references of docs/study.md §7, in the order the introduction cites them
#: (Fashion-MNIST only when the image families used it).
REFERENCES = [
    {
        "key": "ioffe2015",
        "text": (
            "S. Ioffe and C. Szegedy. Batch Normalization: accelerating deep network training "
            "by reducing internal covariate shift. ICML 2015."
        ),
    },
    {
        "key": "d2l",
        "text": (
            "A. Zhang, Z. C. Lipton, M. Li and A. J. Smola. Dive into Deep Learning, chapter "
            "“Batch Normalization”. Cambridge University Press, 2023."
        ),
    },
    {"key": "wu2018", "text": "Y. Wu and K. He. Group Normalization. ECCV 2018."},
    {
        "key": "xiao2017",
        "text": (
            "H. Xiao, K. Rasul and R. Vollgraf. Fashion-MNIST: a novel image dataset for "
            "benchmarking machine learning algorithms. arXiv:1708.07747, 2017."
        ),
    },
]
#: The reference cited only when the image families used Fashion-MNIST.
FASHION_MNIST_REF = "xiao2017"
# --------------------------------------------------------------------------- certainty

#: How sure a recommendation of the tuning strategy is, by its claim's verdict:
#: (label, why).
CERTAINTY = {
    "supported": ("recommended", f"supported: the {CI} interval lies on the claimed side"),
    "contradicted": ("rule refuted", f"contradicted: the {CI} interval lies on the other side"),
    "inconclusive": ("unproven", "inconclusive: the interval does not decide the claim"),
}
