"""bnstudy: a reproducible study of how to tune networks that use Batch Normalization.

Modules, in dependency order:
  config   - training configuration (dataclass with defaults) and config-file checks
  grid     - a family's grid expanded into one row per configuration, with stable ids
  data     - deterministic synthetic datasets
  models   - MLP-d with BN placement none / pre / post
  train    - the trainer: one configuration, several seeds, tidy metrics
  summary  - per-seed summary numbers (final_test, speed, volatility, ...)
  stats    - paired effects, t intervals, verdicts
  claims   - the claims of STUDY.md as data, and their judges
  figures  - matplotlib figures per family
  report   - the Jinja2 report, HTML and PDF
"""

__version__ = "0.1.0"
