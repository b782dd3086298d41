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

``fashion_mnist`` (``load_fashion_mnist``) reads the four standard IDX ``.gz``
files from a folder, validating each; ``download_fashion_mnist`` fetches them
with a SHA-256 check.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import urllib.request
import zlib
from pathlib import Path

import numpy as np
import torch

from bnstudy.io import write_bytes

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
FASHION_CLASS_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
SOURCES = ("synthetic", "fashion_mnist")

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


class DatasetError(ValueError):
    """A dataset file that is missing or malformed; the message names the file and the problem."""


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


def _standardized(name: str, class_names, x_train, y_train, x_test, y_test, meta) -> dict:
    mean = x_train.mean().item()
    std = x_train.std().item()
    return {
        "name": name,
        "task": "classification",
        "n_classes": len(class_names),
        "class_names": list(class_names),
        "x_train": ((x_train - mean) / std).float().contiguous(),
        "y_train": y_train.long().contiguous(),
        "x_test": ((x_test - mean) / std).float().contiguous(),
        "y_test": y_test.long().contiguous(),
        "meta": {**meta, "pixel_mean": mean, "pixel_std": std},
    }


def make_shapes(n_train: int, n_test: int, seed: int) -> dict:
    """The synthetic ``images`` dataset: ``n_train`` + ``n_test`` shape images.

    The training set comes from ``torch.Generator().manual_seed(2 * seed)``, the
    test set from ``manual_seed(2 * seed + 1)``: two disjoint streams of the same
    distribution, so the test images depend on ``seed`` and ``n_test`` only.
    Classes are balanced (``n % 10`` extra samples go to the first classes).

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
    if n_train < 2 or n_test < 1:
        raise ValueError(f"need n_train >= 2 and n_test >= 1, got {n_train} and {n_test}")
    x_train, y_train = render_shapes(n_train, torch.Generator().manual_seed(2 * seed))
    x_test, y_test = render_shapes(n_test, torch.Generator().manual_seed(2 * seed + 1))
    meta = {
        "source": "synthetic",
        "seed": seed,
        "n_train": n_train,
        "n_test": n_test,
        "shape_params": {
            k: list(v) if isinstance(v, tuple) else v for k, v in SHAPE_PARAMS.items()
        },
    }
    return _standardized("images", CLASS_NAMES, x_train, y_train, x_test, y_test, meta)


# ---------------------------------------------------------------------------
# Fashion-MNIST from IDX files

FASHION_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
# SHA-256 of the published files, as listed identically by two independent
# public projects (a dataset downloader and a checksum table).
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": (
        "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc"
    ),
    "train-labels-idx1-ubyte.gz": (
        "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc"
    ),
    "t10k-images-idx3-ubyte.gz": (
        "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229"
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf"
    ),
}
IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension


def write_idx(path: str | os.PathLike, array) -> None:
    """Write an unsigned-byte array (1-D labels or 3-D images) as a gzip IDX file."""
    a = np.asarray(array)
    if a.dtype != np.uint8:
        raise ValueError(f"IDX files here hold unsigned bytes; got dtype {a.dtype}")
    header = (0x0800 + a.ndim).to_bytes(4, "big") + b"".join(
        int(d).to_bytes(4, "big") for d in a.shape
    )
    write_bytes(path, gzip.compress(header + a.tobytes(), mtime=0))


def read_idx(path: str | os.PathLike, magic: int) -> np.ndarray:
    """Read and validate one gzip IDX file; raise ``DatasetError`` naming what is wrong."""
    path = Path(path)
    kind = {IDX_IMAGES_MAGIC: "images", IDX_LABELS_MAGIC: "labels"}[magic]
    if not path.is_file():
        raise DatasetError(f"{path}: file not found (expected the Fashion-MNIST {kind} file)")
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError, zlib.error) as err:
        raise DatasetError(f"{path}: not a readable gzip file or truncated ({err})") from err
    if len(data) < 8:
        raise DatasetError(f"{path}: truncated IDX header ({len(data)} bytes)")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise DatasetError(f"{path}: wrong magic number {found}, expected {magic} (IDX {kind})")
    ndim = magic - 0x0800
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DatasetError(f"{path}: truncated IDX header ({len(data)} bytes)")
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    if kind == "images" and dims[1:] != [SIZE, SIZE]:
        raise DatasetError(f"{path}: images are {dims[1]}×{dims[2]} pixels, expected {SIZE}×{SIZE}")
    expected = math.prod(dims)
    found_bytes = len(data) - header_len
    if found_bytes != expected:
        raise DatasetError(
            f"{path}: header says {dims[0]} {kind} ({expected} bytes of data) "
            f"but the file holds {found_bytes} bytes"
        )
    array = np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(dims)
    if kind == "labels" and array.size and array.max() > 9:
        raise DatasetError(f"{path}: label {int(array.max())} outside 0…9")
    return array


def _first(array: np.ndarray, n: int | None, what: str, path: Path) -> np.ndarray:
    if n is None:
        return array
    if not 1 <= n <= len(array):
        raise DatasetError(f"{path}: asked for {n} {what}, the file holds {len(array)}")
    return array[:n]


def load_fashion_mnist(
    folder: str | os.PathLike, n_train: int | None = None, n_test: int | None = None
) -> dict:
    """Fashion-MNIST from its four IDX ``.gz`` files in ``folder``.

    Pixels are scaled to [0, 1], then standardized with the training set's
    mean and std. ``n_train`` / ``n_test`` keep the first N samples of each split.
    """
    folder = Path(folder)
    splits = {}
    for split, n in (("train", n_train), ("test", n_test)):
        img_path = folder / FASHION_FILES[f"{split}_images"]
        lab_path = folder / FASHION_FILES[f"{split}_labels"]
        images = read_idx(img_path, IDX_IMAGES_MAGIC)
        labels = read_idx(lab_path, IDX_LABELS_MAGIC)
        if len(images) != len(labels):
            raise DatasetError(
                f"{img_path}: holds {len(images)} images but {lab_path.name} "
                f"holds {len(labels)} labels"
            )
        images = _first(images, n, "images", img_path)
        labels = _first(labels, n, "labels", lab_path)
        x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)  # (n, 1, 28, 28)
        splits[split] = (x, torch.from_numpy(labels.astype(np.int64)))
    meta = {
        "source": "fashion_mnist",
        "folder": str(folder),
        "n_train": len(splits["train"][1]),
        "n_test": len(splits["test"][1]),
    }
    return _standardized("images", FASHION_CLASS_NAMES, *splits["train"], *splits["test"], meta)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download_fashion_mnist(
    folder: str | os.PathLike,
    base_url: str = FASHION_MNIST_URL,
    sha256: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> None:
    """Fetch the four Fashion-MNIST files into ``folder``, checking each one's SHA-256.

    A file already there with the right checksum is kept. A download whose
    checksum does not match raises ``DatasetError`` naming the file and is
    not written. ``base_url`` may be any URL ``urllib`` opens (``file://`` too).
    """
    sha256 = FASHION_MNIST_SHA256 if sha256 is None else sha256
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in FASHION_FILES.values():
        if name not in sha256:
            raise DatasetError(f"{name}: no SHA-256 checksum given for this file")
        target = folder / name
        if target.is_file() and _sha256(target) == sha256[name]:
            continue
        url = base_url.rstrip("/") + "/" + name
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                data = response.read()
        except OSError as err:
            raise DatasetError(f"{name}: download from {url} failed ({err})") from err
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256[name]:
            raise DatasetError(
                f"{name}: SHA-256 mismatch for {url}: got {digest}, expected {sha256[name]}"
            )
        write_bytes(target, data)


def make_images(settings: dict) -> dict:
    """Build the ``images`` dataset from the config's settings.

    ``source`` is ``synthetic`` (``n_train``, ``n_test``, ``seed``) or
    ``fashion_mnist`` (``fashion_mnist_dir``; optional ``download``,
    ``base_url``, ``n_train``, ``n_test``).
    """
    source = settings.get("source", "synthetic")
    if source == "synthetic":
        return make_shapes(settings["n_train"], settings["n_test"], settings["seed"])
    if source == "fashion_mnist":
        folder = Path(settings["fashion_mnist_dir"])
        missing = [n for n in FASHION_FILES.values() if not (folder / n).is_file()]
        if missing and settings.get("download"):
            download_fashion_mnist(folder, settings.get("base_url") or FASHION_MNIST_URL)
        return load_fashion_mnist(folder, settings.get("n_train"), settings.get("n_test"))
    raise ValueError(f"unknown images source {source!r}; allowed: {', '.join(SOURCES)}")
