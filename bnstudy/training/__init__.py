"""Training: one configuration, all its seeds, everything docs/study.md §3 records.

Modules, in dependency order:

  schedules   the learning-rate schedules (torch schedulers) and the LR range test's suggestion
  records     what a run records (metric names, rows) and the bookkeeping both trainers share
  stacked     the S seeds of a configuration stacked into one model
  optimizer   SGD / Nesterov / Adam with one learning rate per seed
  evaluation  per-seed losses, whole-set evaluation and end-of-training probes
  batched     the trainer the pipeline uses: all seeds in one stacked model
  reference   the per-seed textbook trainer, kept as the tests' oracle
  job         the ``train_config`` rule's entry point: train, then write the run's files
"""
