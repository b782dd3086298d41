"""The claims of docs/study.md §5: rules of thumb as data, and the verdict each one gets.

A map of the package, in dependency order (each module imports only those above it):

* ``verdict``: what a verdict is: the names (supported, contradicted, inconclusive,
  not run), the claims table's COLUMNS, the :class:`Claim`, :class:`Part` and
  :class:`Tuned` types, the :class:`Outcome` of a test, ``decide`` (the verdict
  from per-seed effects, via ``bnstudy.stats``) and ``combine`` (a claim's tests
  joined into one verdict).
* ``cells``: selecting grid levels and pairing runs by seed, the judges' helpers.
* ``selection``: every "best" a claim picks, on validation data only, and the
  tuned tables (each configuration at its validation-best lr).
* ``judges``: the seven generic judges (``JUDGES``), which pair seeds across the
  cells a claim contrasts and call ``decide``.
* ``catalogue``: the claims themselves, in study order, with their thresholds
  (including "did it learn?") and advice sentences. To add or change a claim, edit
  this file only.
* ``learning``: did each run learn, how many per family (``learned_counts``), and
  the check that holds back a comparison resting on a cell that did not.
* ``readings``: one reading of one claim (judge, learning check, parts, context)
  on the as-run or the tuned tables, and the :class:`Study` holding those tables.
* ``advice``: each claim's advice sentence for its verdict (the tuned reading's,
  where the claim has one), filled with its evidence.
* ``engine``: ``judge``/``judge_all``/``judge_files``: every claim's row of the
  claims table, with both readings, Holm's correction, stability, and failed
  configurations holding claims back.

The package's modules are imported by name (``from bnstudy.claims.engine import
judge_all``); this file imports nothing, so importing one module costs only its own.
"""
