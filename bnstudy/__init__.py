"""bnstudy: a reproducible study of how to tune networks that use Batch Normalization.

The study itself (datasets, models, families, claims, verdict rules) is
described in docs/study.md; the code's layout in docs/architecture.md.
Modules and packages, in dependency order:

  vocab       the vocabularies and shared constants, defined once
  families    the family spec: what each experiment family is, draws and shows
  config      one job's training configuration (dataclass with defaults), canonical params
  validate    the config file's checks, one readable line per mistake
  scale       how many trainings a config plans and about how long; the limit check
  grid        a family's grid expanded into configurations with stable ids
  data        the datasets and their training / validation / test splits
  images      the synthetic shapes
  fashion     Fashion-MNIST's IDX files: reading, integrity of the content, download
  norm        Batch Normalization written by hand
  models      MLP-d, the wide image MLP and LeNet-5
  training/   schedules, records, the stacked (batched) trainer, the reference trainer, the job
  summary     per-seed summary numbers, derived metrics, reading a summary table
  stats       means with t intervals, per-configuration aggregates
  integrity   the record a training job keeps of the files it wrote
  audit       run folders checked against that record: damaged and missing runs
  tables      per-family tables collected from the runs, failed runs, memory
  sweeps      every configuration at every learning rate it trained
  claims/     the claims as data, the judges and the verdict engine
  figures/    the figures of each family, sample images, job resources, rule graph
  report/     the paper-style report: its sections, HTML and PDF
  io, deps, checkout   atomic files and the one CSV reader; a job's code inputs; scratch copies
"""

__version__ = "0.1.0"
