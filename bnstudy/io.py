"""Files in and out: atomic writes (an output exists complete or not at all), the one
reader of the pipeline's CSV tables, and a job's log."""

from __future__ import annotations

import csv
import glob
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas costs a training job 0.2 s to import; it writes no DataFrame
    import pandas as pd


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``.

    The temporary file lives in the same folder, so the rename is atomic and a
    crash mid-write never leaves a half-written ``path`` behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A process killed mid-write (SIGKILL) leaves its temporary file: one writer
    # per output in a workflow, so any such file is stale by now.
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def write_json(path: str | os.PathLike, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def write_csv(path: str | os.PathLike, df: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))


def write_rows(path: str | os.PathLike, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    r"""A CSV of plain rows, written as ``DataFrame.to_csv(index=False)`` would write them.

    Floats in their shortest exact form, NaN as an empty field.

    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> write_rows(out, ["seed", "value"], [(0, 0.1), (1, float("nan")), (2, 1e-05)])
    >>> open(out).read()
    'seed,value\n0,0.1\n1,\n2,1e-05\n'
    """

    def cell(v):
        return "" if isinstance(v, float) and math.isnan(v) else v

    def write(tmp: str) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(header)
            out.writerows([cell(v) for v in row] for row in rows)

    atomic_write(path, write)


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read one of the pipeline's CSV tables; only empty cells and ``nan`` are missing.

    pandas' default would also read strings such as ``None`` or ``NA`` as missing,
    which must not happen to a configuration value. Every reader of a tidy, summary,
    runs or claims table goes through here, so all agree on what is missing.
    """
    import pandas as pd

    return pd.read_csv(path, keep_default_na=False, na_values=["", "nan", "NaN"])


def log_to(path: str | os.PathLike) -> None:
    """Send this process's ``logging`` records (INFO and up) to the job's log file.

    An uncaught exception is logged there too (its message first, then the
    traceback). On the console, one raised for a known reason — a ``ValueError``
    (bad data, a damaged run, a bad value: raised on purpose, its message names the
    cause and the file) or an ``OSError`` (a file missing, a disk full) — is one
    line naming the log; any other (a bug) prints its traceback as usual.
    """
    import logging
    import sys

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=str(path),
        filemode="w",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    previous = sys.excepthook

    def log_uncaught(kind, value, tb):
        if not issubclass(kind, KeyboardInterrupt):
            logging.getLogger("bnstudy").error(
                "%s: %s", kind.__name__, value, exc_info=(kind, value, tb)
            )
        if issubclass(kind, ValueError | OSError):
            message = " ".join(str(value).split())
            print(f"{kind.__name__}: {message} (traceback: {path})", file=sys.stderr)
        else:
            previous(kind, value, tb)

    sys.excepthook = log_uncaught


def end_job() -> None:
    """End a Snakemake script job at once, once its outputs are written.

    Every output is in place (atomic writes), so the interpreter's teardown —
    freeing torch's and matplotlib's modules one by one — only costs time:
    about 0.25 s of a job that imported torch (benchmarks/bench_study.py runs
    hundreds of them). Log handlers and standard streams are flushed first.
    """
    import logging
    import sys

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
