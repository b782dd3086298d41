"""What a training job wrote, recorded so that a later change to its files is caught.

A training job records, in its ``config.json`` under :data:`RECORD_KEY`, each data
file it wrote (``metrics.csv``, ``timing.csv``, ...): its SHA-256, its size in bytes
and its number of rows below the header. :func:`compare` checks a file on disk
against that record and says, in a few words, how it differs: a file cut short,
a row deleted or added, an edit that kept the row count.

Kept small and free of the checks that use it (``bnstudy.audit``): every training
job imports this module, so editing it reruns every training.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "metrics.csv")
>>> _ = open(path, "w").write("seed,epoch\\n0,1\\n0,2\\n")
>>> record = file_record(path)
>>> record["rows"], record["bytes"], compare(path, record)
(2, 19, None)
>>> _ = open(path, "w").write("seed,epoch\\n0,1\\n")
>>> compare(path, record)
'1 row(s) where its job wrote 2 (15 of 19 bytes): cut short or rows deleted'
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

#: The key of a run's ``config.json`` that holds the records of its data files.
RECORD_KEY = "outputs"


def file_record(path: str | os.PathLike) -> dict:
    """One written file's record: ``sha256``, ``bytes`` and ``rows`` (lines after the header)."""
    with open(path, "rb") as fh:
        data = fh.read()
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "rows": max(data.count(b"\n") - 1, 0),
    }


def record_outputs(paths: dict[str, str]) -> dict[str, dict]:
    """Records of the files ``paths`` (output name → path), keyed by file name."""
    return {Path(p).name: file_record(p) for p in paths.values()}


def compare(path: str | os.PathLike, record: dict) -> str | None:
    """How the file at ``path`` differs from its ``record``, in words; None if it does not."""
    if not os.path.isfile(path):
        return "missing"
    found = file_record(path)
    if found["sha256"] == record["sha256"]:
        return None
    sizes = f"{found['bytes']} of {record['bytes']} bytes"
    if found["rows"] < record["rows"]:
        return (
            f"{found['rows']} row(s) where its job wrote {record['rows']} ({sizes}): "
            "cut short or rows deleted"
        )
    if found["rows"] > record["rows"]:
        return f"{found['rows']} row(s) where its job wrote {record['rows']} ({sizes}): rows added"
    return f"changed since its job wrote it (SHA-256 differs; {sizes})"
