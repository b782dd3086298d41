"""The ``images`` dataset (docs/study.md §1): procedural shapes, or Fashion-MNIST from IDX files.

Both sources give 10 classes of 1×28×28 grey images in the same dict as the
regression datasets of ``bnstudy.data``, with pixels standardized by the
training set's scalar mean and standard deviation (training statistics only).

``synthetic`` (the default, ``make_shapes``) draws each image from a seeded
``torch.Generator``: one of ten shapes (see ``CLASS_NAMES``) at a random
position, size, aspect ratio, rotation, stroke thickness and contrast, over a
background of random brightness, with a few random clutter strokes and
additive Gaussian noise. Rendering is vectorized: every shape is a distance
field evaluated on the 28×28 pixel grid for a whole class of samples at once.

``fashion_mnist`` (``bnstudy.fashion``) reads the four standard IDX ``.gz``
files of Fashion-MNIST from a folder.
"""

from __future__ import annotations

import math

import torch

SIZE = 28  # images are SIZE × SIZE pixels
CLASS_NAMES = [
    "ring",
    "square outline",
    "filled square",
    "triangle",
    "plus",
    "x",
    "double bar",
    "vertical line",
    "diagonal",
    "arc",
]

# How the shapes vary. Tuned so that a linear classifier stays well below
# LeNet and a wide MLP does not saturate within a few epochs (numbers in the
# docstring of ``make_shapes``).
SHAPE_PARAMS = {
    "center_range": 4.0,  # px: the centre moves up to this far from the image centre
    "scale": (6.0, 9.0),  # px: half-size of the shape
    "aspect": (0.75, 1.33),  # width / height
    "rotation_deg": 20.0,  # ± this many degrees (more would turn "plus" into "x")
    "thickness": (1.5, 3.0),  # px: stroke width
    "contrast": (0.6, 1.0),  # brightness of the shape
    "background": (0.0, 0.2),  # brightness of the background
    "clutter_strokes": 2,  # up to this many random strokes per image
    "clutter_length": (4.0, 12.0),  # px
    "clutter_contrast": (0.2, 0.5),
    "noise": 0.15,  # std of the additive Gaussian pixel noise
}


# ---------------------------------------------------------------------------
# Synthetic shapes


def _segment_distance(px, py, ax, ay, bx, by):
    """Distance from points (px, py) to the segment a–b; all arguments broadcast."""
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy  # callers never pass a zero-length segment
    t = (((px - ax) * dx + (py - ay) * dy) / length2).clamp(0.0, 1.0)
    return torch.hypot(px - ax - t * dx, py - ay - t * dy)


def _segments_distance(ux, uy, segments):
    """Distance to the nearest of several fixed segments ((ax, ay, bx, by), …)."""
    return torch.stack([_segment_distance(ux, uy, *s) for s in segments]).amin(0)


def _triangle_vertices():
    angles = [math.radians(a) for a in (-90.0, 30.0, 150.0)]  # apex up (y grows downwards)
    return [(0.9 * math.cos(a), 0.9 * math.sin(a) + 0.15) for a in angles]


def _shape_distance(label: int, ux: torch.Tensor, uy: torch.Tensor) -> torch.Tensor:
    """Distance (in shape units, 0 on the shape) of local coordinates to shape ``label``.

    The shapes fit in the square [−1, 1]²; filled shapes have distance 0 inside.
    """
    r = torch.hypot(ux, uy)
    box = torch.maximum(ux.abs(), uy.abs())  # Chebyshev norm: squares are its level sets
    if label == 0:  # ring
        return (r - 0.85).abs()
    if label == 1:  # square outline
        return (box - 0.8).abs()
    if label == 2:  # filled square
        return (box - 0.7).clamp_min(0.0)
    if label == 3:  # triangle outline
        a, b, c = _triangle_vertices()
        return _segments_distance(ux, uy, [(*a, *b), (*b, *c), (*c, *a)])
    if label == 4:  # plus
        return _segments_distance(ux, uy, [(-0.9, 0.0, 0.9, 0.0), (0.0, -0.9, 0.0, 0.9)])
    if label == 5:  # x
        return _segments_distance(ux, uy, [(-0.75, -0.75, 0.75, 0.75), (-0.75, 0.75, 0.75, -0.75)])
    if label == 6:  # double bar "="
        return _segments_distance(ux, uy, [(-0.9, -0.4, 0.9, -0.4), (-0.9, 0.4, 0.9, 0.4)])
    if label == 7:  # vertical line
        return _segments_distance(ux, uy, [(0.0, -0.95, 0.0, 0.95)])
    if label == 8:  # diagonal "/"
        return _segments_distance(ux, uy, [(-0.75, 0.75, 0.75, -0.75)])
    if label == 9:  # arc "C": a ring open to the right over ±60°
        opening = math.radians(60.0)
        ends = [(0.85 * math.cos(opening), s * 0.85 * math.sin(opening)) for s in (-1, 1)]
        to_end = torch.stack([torch.hypot(ux - ex, uy - ey) for ex, ey in ends]).amin(0)
        in_gap = torch.atan2(uy, ux).abs() < opening
        return torch.where(in_gap, to_end, (r - 0.85).abs())
    raise ValueError(f"unknown shape label {label}; allowed: 0…{len(CLASS_NAMES) - 1}")


def _uniform(g: torch.Generator, n: int, low: float, high: float, *shape: int) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, *shape, generator=g)


def _ink(distance_px: torch.Tensor, thickness: torch.Tensor) -> torch.Tensor:
    """Anti-aliased stroke: 1 within half the thickness, fading to 0 over one pixel."""
    return (thickness / 2 + 0.5 - distance_px).clamp(0.0, 1.0)


def render_shapes(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``n`` raw images (n, 1, 28, 28), values around [0, 1], and balanced labels (n,).

    Every random number comes from ``g``, in a fixed order, so the images are a
    function of the generator's state alone.
    """
    p = SHAPE_PARAMS
    n_classes = len(CLASS_NAMES)
    labels = (torch.arange(n) % n_classes)[torch.randperm(n, generator=g)]  # balanced
    centre = (SIZE - 1) / 2 + _uniform(g, n, -p["center_range"], p["center_range"], 2)  # (n, 2)
    scale = _uniform(g, n, *p["scale"])
    aspect = torch.exp(_uniform(g, n, math.log(p["aspect"][0]), math.log(p["aspect"][1])))
    angle = torch.deg2rad(_uniform(g, n, -p["rotation_deg"], p["rotation_deg"]))
    thickness = _uniform(g, n, *p["thickness"])
    contrast = _uniform(g, n, *p["contrast"])
    background = _uniform(g, n, *p["background"])
    k = p["clutter_strokes"]
    n_clutter = torch.randint(0, k + 1, (n,), generator=g)
    clutter_start = _uniform(g, n, 0.0, SIZE - 1.0, k, 2)  # (n, k, 2)
    clutter_angle = _uniform(g, n, 0.0, 2 * math.pi, k)
    clutter_length = _uniform(g, n, *p["clutter_length"], k)
    clutter_contrast = _uniform(g, n, *p["clutter_contrast"], k)
    noise = p["noise"] * torch.randn(n, SIZE, SIZE, generator=g)

    coords = torch.arange(SIZE, dtype=torch.float32)
    py, px = torch.meshgrid(coords, coords, indexing="ij")  # (28, 28) each; y grows downwards

    def per_sample(v: torch.Tensor) -> torch.Tensor:
        return v.reshape(-1, 1, 1)  # (m,) → (m, 1, 1), to broadcast over the grid

    # Local shape coordinates: translate, rotate by −angle, scale x and y separately.
    dx = px - per_sample(centre[:, 0])
    dy = py - per_sample(centre[:, 1])
    cos, sin = per_sample(torch.cos(angle)), per_sample(torch.sin(angle))
    sx = per_sample(scale * aspect.sqrt())
    sy = per_sample(scale / aspect.sqrt())
    ux = (cos * dx + sin * dy) / sx  # (n, 28, 28)
    uy = (-sin * dx + cos * dy) / sy
    shape_ink = torch.empty(n, SIZE, SIZE)
    for label in range(n_classes):
        idx = (labels == label).nonzero().squeeze(1)
        if idx.numel():
            # Distances scale back to pixels by the geometric mean of the two scales.
            d_px = _shape_distance(label, ux[idx], uy[idx]) * per_sample(scale[idx])
            shape_ink[idx] = _ink(d_px, per_sample(thickness[idx]))

    # Clutter strokes, 1 px wide; stroke j is present when j < n_clutter.
    clutter_ink = torch.zeros(n, SIZE, SIZE)
    if k:
        end = clutter_start + clutter_length.unsqueeze(-1) * torch.stack(
            [torch.cos(clutter_angle), torch.sin(clutter_angle)], dim=-1
        )  # (n, k, 2)

        def per_stroke(v: torch.Tensor) -> torch.Tensor:
            return v.reshape(n, k, 1, 1)

        d_clutter = _segment_distance(
            px,
            py,
            per_stroke(clutter_start[..., 0]),
            per_stroke(clutter_start[..., 1]),
            per_stroke(end[..., 0]),
            per_stroke(end[..., 1]),
        )  # (n, k, 28, 28)
        present = (torch.arange(k) < n_clutter.unsqueeze(1)).float()  # (n, k)
        strength = per_stroke(clutter_contrast * present)
        clutter_ink = (_ink(d_clutter, torch.tensor(1.0)) * strength).amax(1)  # (n, 28, 28)

    ink = torch.maximum(shape_ink * per_sample(contrast), clutter_ink)
    image = per_sample(background) + (1 - per_sample(background)) * ink + noise
    return image.unsqueeze(1), labels  # (n, 1, 28, 28), (n,)


def standardized(class_names, split: dict, x_test, y_test, meta: dict) -> dict:
    """The ``images`` dataset dict: pixels standardized by the training images' scalar mean
    and standard deviation (training statistics only), labels as int64.

    ``split`` holds ``x_train``, ``y_train`` and optionally ``x_val``, ``y_val``.
    """
    mean = split["x_train"].mean().item()
    std = split["x_train"].std().item()
    out = {
        "name": "images",
        "task": "classification",
        "n_classes": len(class_names),
        "class_names": list(class_names),
        "meta": {**meta, "pixel_mean": mean, "pixel_std": std},
    }
    xs = {part: split.get(f"x_{part}") for part in ("train", "val")}
    ys = {part: split.get(f"y_{part}") for part in ("train", "val")}
    xs["test"], ys["test"] = x_test, y_test
    for part in ("train", "val", "test"):
        if xs[part] is not None:
            out[f"x_{part}"] = ((xs[part] - mean) / std).float().contiguous()
            out[f"y_{part}"] = ys[part].long().contiguous()
    return out


def shape_splits(n_train: int, n_test: int, seed: int):
    """Raw (x_train, y_train, x_test, y_test) of the synthetic shapes.

    The training set comes from ``torch.Generator().manual_seed(2 * seed)``, the
    test set from ``manual_seed(2 * seed + 1)``: two disjoint streams of the same
    distribution, so the test images depend on ``seed`` and ``n_test`` only.
    Classes are balanced (``n % 10`` extra samples go to the first classes).
    """
    if n_train < 2 or n_test < 1:
        raise ValueError(f"need n_train >= 2 and n_test >= 1, got {n_train} and {n_test}")
    x_train, y_train = render_shapes(n_train, torch.Generator().manual_seed(2 * seed))
    x_test, y_test = render_shapes(n_test, torch.Generator().manual_seed(2 * seed + 1))
    return x_train, y_train, x_test, y_test


def shape_meta(settings: dict) -> dict:
    """What the report records of a synthetic image set: its seed and shape parameters."""
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in SHAPE_PARAMS.items()}
    return {"source": "synthetic", "seed": settings["seed"], "shape_params": params}


def make_shapes(n_train: int, n_test: int, seed: int) -> dict:
    """The synthetic ``images`` dataset: ``n_train`` + ``n_test`` shape images, standardized.

    >>> d = make_shapes(n_train=30, n_test=20, seed=7)
    >>> d["x_train"].shape, d["x_train"].dtype, d["y_train"].dtype
    (torch.Size([30, 1, 28, 28]), torch.float32, torch.int64)
    >>> d["y_train"].bincount(minlength=10).tolist()
    [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
    >>> d["class_names"][:3], d["meta"]["source"]
    (['ring', 'square outline', 'filled square'], 'synthetic')
    >>> bool(torch.equal(d["x_train"], make_shapes(30, 20, seed=7)["x_train"]))
    True
    >>> bool(torch.equal(d["y_test"], make_shapes(100, 20, seed=7)["y_test"]))
    True

    Difficulty, measured at n_train 6000 / n_test 2000 (seeds 0 and 420), test
    accuracy: softmax regression (SGD, 10 epochs) 0.55–0.59 (train 0.8);
    sigmoid LeNet-5 with BN (SGD lr 0.3 or 1.0, batch 256, 10 epochs) 0.51–0.89
    at the last epoch, peaks 0.89–0.97; the wide MLP (Nesterov lr 0.01, batch
    128) after 3 epochs 0.47 with one BN layer and 0.90 with four (ReLU).
    Plain sigmoid LeNet (lr 0.9) is still near chance after 10 such epochs
    (240 steps; 0.94 with n_train 30000): the shapes themselves are learnable,
    so difficulty comes from the training budget as much as from the noise.
    """
    x_train, y_train, x_test, y_test = shape_splits(n_train, n_test, seed)
    meta = {**shape_meta({"seed": seed}), "n_train": n_train, "n_test": n_test}
    split = {"x_train": x_train, "y_train": y_train}
    return standardized(CLASS_NAMES, split, x_test, y_test, meta)
