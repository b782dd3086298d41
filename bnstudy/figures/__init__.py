"""Figures of the study (docs/study.md §6), each a matplotlib ``Figure`` written as SVG.

Diverged seeds are never drawn as numbers: curves and means use the non-diverged
seeds only, and where seeds diverged a figure says "k/n" (k of n seeds diverged)
instead of a value. What each family draws is its spec's (``bnstudy.families``).

Modules, in dependency order (import the one you need; this package imports nothing):

* ``layout``    — grid axes onto lines, panels and rows; grid values as labels
* ``style``     — page size, colours and markers, log axes, notes, legends
* ``panels``    — metric-against-parameter figures: means with intervals per grid point
* ``curves``    — learning curves: a metric per epoch, a band over the seeds
* ``special``   — figures drawn their own way: lr trajectories, BN's γ/β, LR range test,
  d2l's LeNet table beside our seeds
* ``svg``       — reproducible SVG with its font embedded (``save_svg``, ``svg_text``)
* ``make``      — the entry point: ``make_figure`` by name, ``plot_family`` to SVG files
* ``captions``  — ``figure_caption``: the caption refined by the family's data
* ``samples``   — sample images of an image dataset
* ``resources`` — runtime and memory per rule, from Snakemake's benchmarks
* ``rulegraph`` — the workflow's rule graph: run, read and drawn
"""
