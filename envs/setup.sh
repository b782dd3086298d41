#!/usr/bin/env bash
# Set up bnstudy on a fresh machine: system libraries for the PDF, then a
# virtual environment in .venv/ with every Python package pinned by
# envs/requirements.txt. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# WeasyPrint renders the PDF through Pango; fonts make the text legible.
need=()
ldconfig -p | grep -q libpango-1.0.so.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p | grep -q libharfbuzz-subset.so.0 || need+=(libharfbuzz-subset0)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing system packages: ${need[*]}"
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The report's reader tests (tests/test_report_browser.py) open the HTML in headless
# Chromium and turn the PDF's pages into images with poppler's pdftoppm/pdftotext;
# under CI they must run, so install Debian's chromium and poppler-utils if missing.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing system packages for the report tests: ${need[*]}"
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The default image data: Fashion-MNIST's four IDX files, offline from Debian's
# package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/). Without apt,
# point datasets.images.fashion_mnist_dir at the files (README, "Data").
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing Fashion-MNIST (dataset-fashion-mnist)"
        apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null
    else
        echo "setup: no apt-get: set datasets.images.fashion_mnist_dir to the Fashion-MNIST files"
    fi
fi

python=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $python"
    "$python" -m venv .venv
fi
# torch==2.13.0 comes from the local CPU wheel folder that pip is configured
# with (find-links); an unpinned torch would pull gigabytes of CUDA packages.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r envs/requirements.txt 2> >(grep -v "is ignored: it is neither" >&2)
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . 2> >(grep -v "is ignored: it is neither" >&2)
echo "setup: .venv ready ($(.venv/bin/python -c 'import torch, snakemake; print("torch", torch.__version__, "snakemake", snakemake.__version__)'))"
