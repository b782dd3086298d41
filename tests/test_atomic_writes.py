"""Every output is written atomically: complete or absent, never half-written."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bnstudy import io

ROOT = Path(__file__).resolve().parents[1]


def test_a_crash_mid_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "out" / "metrics.csv"
    io.write_text(path, "old\n")

    def crash(tmp):
        Path(tmp).write_text("half")
        raise KeyboardInterrupt  # what SIGINT raises in a job

    with pytest.raises(KeyboardInterrupt):
        io.atomic_write(path, crash)
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["metrics.csv"]


def test_a_temporary_left_by_a_killed_writer_is_removed_never_promoted(tmp_path):
    path = tmp_path / "metrics.csv"
    stale = tmp_path / ".metrics.csv.abc123.tmp"  # what SIGKILL mid-write leaves
    stale.write_text("seed,epoch\n0,")
    other = tmp_path / ".timing.csv.abc123.tmp"  # another output's: not this write's business
    other.write_text("x")
    io.write_csv(path, pd.DataFrame({"seed": [0], "epoch": [1]}))
    assert pd.read_csv(path).to_dict("list") == {"seed": [0], "epoch": [1]}
    assert not stale.exists() and other.exists()
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)  # usual permissions, not mkstemp's


def test_an_uncaught_exception_is_logged_in_the_job_log(tmp_path):
    log = tmp_path / "job.log"
    code = (
        "from bnstudy.io import log_to\n"
        f"log_to({str(log)!r})\n"
        "raise ValueError('data/x.gz: file not found')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    # A known reason (a ValueError names its cause and file): one line, naming the log.
    assert proc.returncode == 1 and proc.stderr == (
        f"ValueError: data/x.gz: file not found (traceback: {log})\n"
    )
    text = log.read_text()
    assert "ERROR bnstudy: ValueError: data/x.gz: file not found" in text and "Traceback" in text
    logging.shutdown()


# ---- every writer of an output goes through bnstudy.io ---------------------------------

#: Methods that write to the path they are given (``df.to_csv(path)``) …
WRITE_TO_ARGUMENT = {"to_csv", "to_json", "to_parquet", "savefig", "write_pdf"}
#: … and methods of the path itself (``Path(path).write_text(text)``).
WRITE_TO_OWNER = {"write_text", "write_bytes"}


def _mentions_temporary(node: ast.AST) -> bool:
    """A write into a temporary (``tmp``) or an in-memory buffer (``buf``) is not an output."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return any("tmp" in n or "buf" in n for n in names)


def _write_target(node: ast.Call) -> ast.AST | None:
    """The path a call writes to, or None if it does not write a file."""
    func = node.func
    if isinstance(func, ast.Attribute):
        owner_name = getattr(func.value, "id", None)
        if func.attr in WRITE_TO_ARGUMENT and node.args:
            return node.args[0]
        if func.attr in WRITE_TO_OWNER:
            return func.value
        if func.attr == "save" and owner_name == "torch" and len(node.args) > 1:
            return node.args[1]
    if isinstance(func, ast.Name) and func.id == "open" and node.args:
        mode = node.args[1] if len(node.args) > 1 else None
        mode = next((k.value for k in node.keywords if k.arg == "mode"), mode)
        if isinstance(mode, ast.Constant) and any(c in str(mode.value) for c in "wax"):
            return node.args[0]
    return None


def _direct_writes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        target = _write_target(node) if isinstance(node, ast.Call) else None
        if target is not None and not _mentions_temporary(target):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_outputs_are_written_only_through_atomic_writes():
    """Tables, figures, report, claims, runs, datasets: a write to a real path goes via io."""
    sources = sorted((ROOT / "bnstudy").glob("*.py")) + sorted((ROOT / "scripts").glob("*.py"))
    sources = [p for p in sources if p.name != "io.py"]
    found = [hit for path in sources for hit in _direct_writes(path)]
    assert not found, "\n".join(found)


def test_the_scan_finds_a_direct_write(tmp_path):
    bad = tmp_path / "probe.py"
    bad.write_text(
        "def f(df, out, tmp):\n"
        "    df.to_csv(out)\n"
        "    open(out, 'w')\n"
        "    Path(out).write_text('x')\n"
        "    torch.save(df, out)\n"
        "    df.to_csv(tmp)\n"  # a temporary: fine
        "    Path(tmp).write_text('x')\n"
        "    open(out)\n"  # reading: fine
    )
    assert len(_direct_writes(bad)) == 4
