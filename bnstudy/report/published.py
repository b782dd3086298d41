"""The literature's published numbers (docs/study.md §7), quoted as published.

The only numbers in the report that the runs do not compute. They are text, so that
they print exactly as published; :func:`d2l_runs` reads the Dive-into-Deep-Learning
single runs as numbers for the reproduction section and its figure. A module of its
own, importing nothing, so that the figure job that draws them does not rerun when
the report's words change.
"""

from __future__ import annotations

#: Reference key -> its published numbers, as printed.
LITERATURE = {
    "ioffe2015": {"fewer_steps": "14×"},
    "d2l": {
        "lr": "1.0",
        "epochs": "10",
        "batch": "256",
        "samples": "60,000",
        "library": "0.869",
        "library_train": "0.908",
        "scratch": "0.801",
        "library_again": "0.708",
        "scratch_again": "0.807",
        "library_rate": "60,220",
        "scratch_rate": "35,561",
        "plain_lr": "0.9",
        "plain": "0.779",
    },
    "wu2018": {"batch": "16"},
}

#: d2l's published single runs of its LeNet table: (BN variant, key of its learning rate,
#: execution, key of its test accuracy) in ``LITERATURE["d2l"]``. The first execution is
#: the book's; the second, another published execution of the same code, is also the one
#: that reports plain LeNet.
D2L_RUNS = (
    ("library", "lr", 1, "library"),
    ("scratch", "lr", 1, "scratch"),
    ("library", "lr", 2, "library_again"),
    ("scratch", "lr", 2, "scratch_again"),
    ("none", "plain_lr", 2, "plain"),
)
#: d2l's training throughput on one GPU, examples per second, by BN variant.
D2L_RATES = {"library": "library_rate", "scratch": "scratch_rate"}
#: d2l's training accuracy (library BN, first execution): (BN variant, key).
D2L_TRAIN = ("library", "library_train")


def number(text: str) -> float:
    """A published number as a float: ``"60,220"`` → 60220.0."""
    return float(text.replace(",", "").rstrip("×"))


def d2l_runs() -> list[dict]:
    """d2l's published test accuracies: ``bn``, ``lr``, ``execution``, ``value`` (float)
    and ``text`` (as published), in :data:`D2L_RUNS` order.

    >>> [(r["bn"], r["lr"], r["text"]) for r in d2l_runs()][-1]
    ('none', 0.9, '0.779')
    """
    d2l = LITERATURE["d2l"]
    return [
        {
            "bn": bn,
            "lr": number(d2l[lr_key]),
            "execution": execution,
            "value": number(d2l[key]),
            "text": d2l[key],
        }
        for bn, lr_key, execution, key in D2L_RUNS
    ]
