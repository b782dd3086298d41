"""Sample images of an image dataset (docs/study.md §1): a column per class.

The report shows them next to the dataset's description, so a reader sees what
the networks classify. One grey scale serves every image, robust to a few
extreme pixels, so brightness compares across classes.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from bnstudy.figures.style import PAGE_WIDTH, canvas_figure
from bnstudy.figures.svg import save_svg
from bnstudy.vocab import IMAGE_SOURCE_NAMES


def sample_figure(data: dict, per_class: int = 4) -> Figure:
    """A grid of training images: a column per class, its first ``per_class`` images.

    ``data`` holds ``x_train`` (N, 1, 28, 28), ``y_train`` (N,) as arrays,
    ``class_names`` and optionally ``name`` and ``meta["source"]``.
    """
    x = np.asarray(data["x_train"], dtype=float)  # (N, 1, 28, 28), standardized
    y = np.asarray(data["y_train"])
    names = list(data["class_names"])
    picks = [np.flatnonzero(y == c)[:per_class] for c in range(len(names))]
    shown = np.concatenate([x[p] for p in picks]) if picks else x[:0]
    vmin, vmax = np.percentile(shown, [0.5, 99.5]) if shown.size else (0.0, 1.0)
    fig = canvas_figure(PAGE_WIDTH, 0.8 + 0.72 * per_class)
    axes = fig.subplots(per_class, len(names), squeeze=False)
    for c, (name, idx) in enumerate(zip(names, picks, strict=True)):
        for r in range(per_class):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if r < len(idx):
                ax.imshow(x[idx[r], 0], cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
        axes[0, c].set_title(name.replace(" ", "\n", 1) if len(name) > 10 else name, fontsize=7)
    source = (data.get("meta") or {}).get("source", "")
    fig.suptitle(
        f"{data.get('name', 'images')}: the first {per_class} training images of each class "
        f"({IMAGE_SOURCE_NAMES.get(source, source or 'source not recorded')})",
        fontsize=9,
    )
    return fig


def plot_samples(data_path: str, out_svg: str, per_class: int = 4) -> None:
    """Sample images of a saved image dataset (a ``torch.save``d dict), as an SVG."""
    import torch  # only this job reads a dataset file

    data = torch.load(data_path, weights_only=True)
    with matplotlib.rc_context({"font.size": 8}):
        fig = sample_figure(
            {**data, "x_train": data["x_train"].numpy(), "y_train": data["y_train"].numpy()},
            per_class,
        )
    save_svg(fig, out_svg)
