"""The paper-style report (docs/study.md §6): one Jinja2 template rendered to HTML and PDF.

Every number in the report is computed here from the inputs (claims, per-seed
summaries, figures, the jobs table, the previous build's snapshot); the template
holds words and layout only. The one exception is the literature's numbers
(docs/study.md §7), quoted from ``prose.LITERATURE`` (defined in ``published``) with
their references. Every sentence that states a result is chosen by a verdict or built
from numbers.

Modules, in dependency order (import the one you need; this file imports nothing):

* ``fmt``        — how numbers, intervals, durations and config values print
* ``published``  — the literature's published numbers (imports nothing; the d2l figure reads it)
* ``provenance`` — code revision, software versions, hardware, time; rerun commands
* ``prose``      — the fixed words: data and model texts, names, references, certainty
* ``numbers``    — a family's runs read once (:class:`~bnstudy.report.numbers.FamilyRuns`):
  its grid, its table with intervals, the key numbers under its figures
* ``literature`` — each family's numbers next to the literature's
* ``verdicts``   — a claims row read: as-run and tuned readings, checks, evidence
* ``budget``     — what ran: runs, optimizer steps, examples, compute per family
* ``reproduction`` — d2l's published LeNet runs placed among our seeds; throughput
* ``jobs``       — Snakemake's benchmark files as a jobs table, and its summary
* ``changes``    — the snapshot of a build, and what changed since the last one
* ``inputs``     — :class:`~bnstudy.report.inputs.ReportInputs`, read once from files
* ``outline``    — section order and numbers, cross-references, figure numbers
* ``sections``   — one builder per section of the template
* ``context``    — all sections assembled into the template's context
* ``render``     — fonts, HTML and PDF; ``render_files``, the report job's entry point
* ``resources``  — the ``plot_job_resources`` job: jobs table and figure (not imported
  by the report job)
"""
