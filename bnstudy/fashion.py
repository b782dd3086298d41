"""Fashion-MNIST from its four standard IDX ``.gz`` files (docs/study.md §1).

The default image data of the study: 60,000 training and 10,000 test images of
clothing, 1×28×28 grey, 10 classes (Xiao et al., 2017). On Debian and Ubuntu
the package ``dataset-fashion-mnist`` installs the files offline under
``/usr/share/datasets/fashion-mnist/`` (``envs/setup.sh`` does); elsewhere point
``datasets.images.fashion_mnist_dir`` at a folder holding them, or set
``download: true`` where a network exists.

Integrity is checked on the **decompressed** content: each file must be a
readable gzip stream holding a well-formed IDX array (magic number, 28×28
images, as many bytes as its header says, labels 0…9) with the published
number of samples and the published content, whose SHA-256 is
:data:`CONTENT_SHA256`. Debian recompresses the ``.gz`` files, so the published
checksums of the compressed files (:data:`GZ_SHA256`, used for downloads) do not
match them, while their content does. ``verify_checksums: false`` keeps only the
structural checks, for IDX files of one's own (a subset, or MNIST).

A missing, truncated or corrupt file raises :class:`DatasetError` naming the file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from bnstudy.io import write_bytes, write_text

SIZE = 28  # images are SIZE × SIZE pixels
CLASS_NAMES = [
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
#: Where Debian's package ``dataset-fashion-mnist`` puts the files.
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
#: Samples in each split of the published files.
COUNTS = {"train": 60000, "test": 10000}
#: SHA-256 of each file's decompressed content (identical in the published and in
#: Debian's recompressed files).
CONTENT_SHA256 = {
    "train-images-idx3-ubyte.gz": (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
    ),
    "train-labels-idx1-ubyte.gz": (
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
    ),
    "t10k-images-idx3-ubyte.gz": (
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
    ),
}
URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
# SHA-256 of the published .gz files, as listed identically by two independent
# public projects (a dataset downloader and a checksum table): checks a download.
GZ_SHA256 = {
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
#: How to get the files, for the message when they are missing.
HOW_TO_GET = (
    "install them with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu; "
    f"files in {DEBIAN_DIR}), or set datasets.images.fashion_mnist_dir to a folder "
    "holding the four IDX .gz files, or datasets.images.download: true where a network "
    "exists, or datasets.images.source: synthetic"
)


class DatasetError(ValueError):
    """A dataset file that is missing or malformed; the message names the file and the problem."""


def write_idx(path: str | os.PathLike, array) -> None:
    """Write an unsigned-byte array (1-D labels or 3-D images) as a gzip IDX file."""
    a = np.asarray(array)
    if a.dtype != np.uint8:
        raise ValueError(f"IDX files here hold unsigned bytes; got dtype {a.dtype}")
    header = (0x0800 + a.ndim).to_bytes(4, "big") + b"".join(
        int(d).to_bytes(4, "big") for d in a.shape
    )
    write_bytes(path, gzip.compress(header + a.tobytes(), mtime=0))


def read_idx(path: str | os.PathLike, magic: int, sha256: str | None = None) -> np.ndarray:
    """Read and validate one gzip IDX file; raise ``DatasetError`` naming what is wrong.

    ``sha256``, if given, is the expected SHA-256 of the decompressed content.
    """
    path = Path(path)
    kind = {IDX_IMAGES_MAGIC: "images", IDX_LABELS_MAGIC: "labels"}[magic]
    if not path.is_file():
        raise DatasetError(f"{path}: file not found (expected the Fashion-MNIST {kind} file)")
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError, zlib.error) as err:
        raise DatasetError(f"{path}: not a readable gzip file or truncated ({err})") from err
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise DatasetError(
            f"{path}: content differs from the published Fashion-MNIST file (SHA-256 of "
            f"the decompressed bytes is {hashlib.sha256(data).hexdigest()[:16]}…, expected "
            f"{sha256[:16]}…); replace the file"
        )
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


def read_split(folder: str | os.PathLike, split: str, verify: bool = True):
    """The images (n, 28, 28) and labels (n,) of ``split`` ("train" or "test"), as uint8.

    ``verify`` checks the published sample counts and content (SHA-256).
    """
    folder = Path(folder)
    img_path = folder / FILES[f"{split}_images"]
    lab_path = folder / FILES[f"{split}_labels"]
    digest = CONTENT_SHA256.get if verify else (lambda name: None)
    images = read_idx(img_path, IDX_IMAGES_MAGIC, digest(img_path.name))
    labels = read_idx(lab_path, IDX_LABELS_MAGIC, digest(lab_path.name))
    if len(images) != len(labels):
        raise DatasetError(
            f"{img_path}: holds {len(images)} images but {lab_path.name} holds {len(labels)} labels"
        )
    if verify and len(images) != COUNTS[split]:
        raise DatasetError(
            f"{img_path}: holds {len(images)} images, Fashion-MNIST's {split} split has "
            f"{COUNTS[split]}"
        )
    return images, labels


def missing_files(folder: str | os.PathLike) -> list[str]:
    return [name for name in FILES.values() if not (Path(folder) / name).is_file()]


def verify_folder(folder: str | os.PathLike, verify: bool = True, cache: str | None = None) -> None:
    """Check the four files in ``folder``; raise :class:`DatasetError` naming a bad one.

    ``cache`` is a JSON file remembering folders that passed, by each file's size and
    modification time, so that a rerun of the workflow does not decompress and hash
    70,000 images again (about a second) before it can say it has nothing to do.
    """
    folder = Path(folder)
    missing = missing_files(folder)
    if missing:
        raise DatasetError(f"{folder / missing[0]}: Fashion-MNIST file not found; {HOW_TO_GET}")
    stamp = {
        name: [(folder / name).stat().st_size, (folder / name).stat().st_mtime_ns]
        for name in FILES.values()
    }
    key = f"{folder.resolve()}|verify={verify}"
    seen = _read_cache(cache)
    if seen.get(key) == stamp:
        return
    for split in COUNTS:
        read_split(folder, split, verify)
    if cache:
        seen[key] = stamp
        write_text(cache, json.dumps(seen, indent=1, sort_keys=True))


def _read_cache(cache: str | None) -> dict:
    try:
        return json.loads(Path(cache).read_text()) if cache else {}
    except (OSError, ValueError):
        return {}


def load(
    folder: str | os.PathLike,
    n_train: int | None = None,
    n_test: int | None = None,
    verify: bool = True,
):
    """Fashion-MNIST's (x_train, y_train, x_test, y_test) as torch tensors, pixels in [0, 1].

    ``n_train`` / ``n_test`` keep the first N samples of each split.
    """
    import torch

    out = []
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = read_split(folder, split, verify)
        img_path = Path(folder) / FILES[f"{split}_images"]
        images = _first(images, n, "images", img_path)
        labels = _first(labels, n, "labels", img_path)
        x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)  # (n, 1, 28, 28)
        out += [x, torch.from_numpy(labels.astype(np.int64))]
    return tuple(out)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download(
    folder: str | os.PathLike,
    base_url: str = URL,
    sha256: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> None:
    """Fetch the four Fashion-MNIST files into ``folder``, checking each one's SHA-256.

    A file already there with the right checksum is kept. A download whose
    checksum does not match raises ``DatasetError`` naming the file and is
    not written. ``base_url`` may be any URL ``urllib`` opens (``file://`` too).
    """
    sha256 = GZ_SHA256 if sha256 is None else sha256
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES.values():
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
