"""The claims of docs/study.md §5: rules of thumb as data, and the verdict each one gets.

A map of the package, in dependency order (each module imports only those above it):

* ``verdict``: what a verdict is: the names (supported, contradicted, inconclusive,
  not run), the claims table's COLUMNS, the :class:`Claim` and :class:`Part` types,
  and ``decide``, the verdict from per-seed effects and their t interval.
* ``judges``: the seven generic judges (``JUDGES``), which pair seeds across the
  cells a claim contrasts and call ``decide``.
* ``catalogue``: the claims themselves, in study order, with their thresholds and
  advice sentences. To add or change a claim, edit this file only.
* ``advice``: each claim's advice sentence for its verdict, filled with its evidence.
* ``engine``: ``judge``/``judge_all``/``judge_files``: every claim's verdict row from
  the families' summary tables, with failed configurations holding claims back.

The package's modules are imported by name (``from bnstudy.claims.engine import
judge_all``); this file imports nothing, so importing one module costs only its own.
"""
