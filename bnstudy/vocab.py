"""The study's vocabularies and shared constants, each defined once.

Every module that needs to know which activations, schedules or optimizers
exist, or at which confidence the intervals are computed, imports it from
here. The config schema (``workflow/schemas/config.schema.yaml``) lists the
same values for the user; ``tests/test_grid_config.py`` checks it against
these tuples. A light module: no torch, pandas or matplotlib.

>>> CI_LABEL
'95 %'
>>> BN_BY_MODEL["lenet"]
('none', 'library', 'scratch')
"""

from __future__ import annotations

ACTIVATIONS = ("sigmoid", "tanh", "relu")
BN_PLACEMENTS = ("none", "pre", "post")  # MLP-d: no BN, Linear→BN→act, Linear→act→BN
LENET_BN = ("none", "library", "scratch")  # LeNet-5: no BN, torch.nn BN, hand-written BN
OPTIMIZERS = ("sgd", "nesterov", "adam")
SCHEDULES = (
    "constant",
    "halving",
    "inverse_time",
    "exponential",
    "piecewise",
    "plateau",
    "cyclic",
    "one_cycle",
    "range_test",
)
INITS = ("default", "xavier", "kaiming", "small_normal", "unit_normal")
DATASETS = ("poly2", "linear", "images")
REGRESSION_DATASETS = ("poly2", "linear")
MODELS = ("mlp", "wide_mlp", "lenet")
IMAGE_SOURCES = ("fashion_mnist", "synthetic")
#: What an image dataset's ``source`` means, in words.
IMAGE_SOURCE_NAMES = {
    "synthetic": "procedurally generated shapes",
    "fashion_mnist": "Fashion-MNIST",
}
DEVICES = ("auto", "cpu", "cuda")

#: BN values each model understands (the wide MLP counts BN layers with ``bn_layers``).
BN_BY_MODEL = {"mlp": BN_PLACEMENTS, "lenet": LENET_BN, "wide_mlp": ("none",)}
#: Models each dataset can feed.
MODELS_BY_DATASET = {"poly2": ("mlp",), "linear": ("mlp",), "images": ("wide_mlp", "lenet")}

#: Confidence of every interval the study computes, draws and judges by.
CONFIDENCE = 0.95
#: That confidence as captions and advice print it.
CI_LABEL = f"{CONFIDENCE:.0%}".replace("%", " %")
#: The LR range test's smoothing (β of the bias-corrected moving average): the
#: suggestion is read from the curve smoothed with it, and the figure draws that curve.
RANGE_TEST_SMOOTHING = 0.95
