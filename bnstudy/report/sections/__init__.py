"""The report's sections, one builder function per section of the template.

Each builder returns the section's content with every number already formatted;
the template addresses it by the section's id (``sections.setup``). In reading order:

* ``front``: ``abstract``, ``introduction``, ``setup`` (datasets with sample images,
  models, grids, software, hardware) and ``references`` (in citation order)
* ``methods``: ``methods`` (how a verdict is computed, in plain words) and ``budget``
  (what ran, for how long, on what)
* ``results``: ``results`` — one subsection per family (figures, table, verdicts)
* ``reproduction``: ``reproduction_section`` — d2l's LeNet numbers beside our seeds
* ``advice``: ``claims``, ``strategy`` and ``limitations`` — what the verdicts say
* ``back``: ``changes`` (since the last build) and ``appendix`` (provenance, jobs)
* ``shared``: :class:`~bnstudy.report.sections.shared.Shared`, what several sections
  print alike, computed once by ``bnstudy.report.context``

This file imports nothing.
"""
