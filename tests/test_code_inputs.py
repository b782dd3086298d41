"""Every library module a job's script runs is an input of its rule.

Editing a module must rerun exactly the jobs that run its code. A rule names the
modules its script imports with ``lib(...)`` in its ``code=`` input, and ``lib``
adds what those import in turn (``bnstudy.deps``). These tests check both halves:
that the closure follows real imports, and that each rule names every module its
script imports directly, so a new import cannot make cached results silently stale.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bnstudy.deps import bnstudy_imports, closure

ROOT = Path(__file__).resolve().parents[1]
RULE_FILES = sorted((ROOT / "workflow" / "rules").glob("*.smk"))


def rules() -> list[tuple[str, list[str], Path]]:
    """(rule, modules named in its code=lib(...) input, its script) for each scripted rule."""
    out = []
    for smk in RULE_FILES:
        for block in re.split(r"^rule ", smk.read_text(), flags=re.M)[1:]:
            name = block.split(":", 1)[0]
            script = re.search(r'script:\s*"([^"]+)"', block)
            if not script:
                continue
            lib = re.search(r"code=lib\(([^)]*)\)", block, re.S)
            named = re.findall(r'"([\w.]+)"', lib[1]) if lib else []
            out.append((name, named, (smk.parent / script[1]).resolve()))
    return out


def test_the_rules_are_found():
    names = {name for name, _, _ in rules()}
    assert {"make_dataset", "train_config", "collect_metrics", "judge_claims"} <= names
    assert {"plot_figure", "render_report", "draw_rulegraph", "plot_samples"} <= names


@pytest.mark.parametrize("rule, named, script", rules(), ids=[r[0] for r in rules()])
def test_a_rule_names_every_module_its_script_imports(rule, named, script):
    missing = sorted(set(closure(bnstudy_imports(script))) - set(closure(named)))
    assert not missing, f"rule {rule}: its code=lib(...) input misses {missing}"


def test_the_closure_follows_imports_inside_functions():
    # training.job imports training.batched inside train_runs(); batched imports the
    # stacked model, which imports models, which imports norm; data imports images
    # inside its functions. A package's __init__ runs on import, so it counts too.
    got = set(closure(["training.job"]))
    assert {"training", "training.job", "training.batched", "training.stacked"} <= got
    assert {"training.schedules", "models", "norm", "io", "vocab"} <= got
    assert "images" in closure(["data"])
    assert closure(["norm"]) == ["norm"]


def test_from_package_import_module_is_that_module(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "b.py").write_text("X = 1\n")
    (tmp_path / "pkg" / "c.py").write_text("from bnstudy.pkg import b\n")
    (tmp_path / "d.py").write_text("from bnstudy.pkg.b import X\n")
    assert closure(["pkg.c"], tmp_path) == ["pkg", "pkg.b", "pkg.c"]
    assert closure(["d"], tmp_path) == ["d", "pkg", "pkg.b"]


def test_an_unknown_module_is_an_error(tmp_path):
    (tmp_path / "a.py").write_text("from bnstudy import b\n")
    with pytest.raises(FileNotFoundError, match="no library module 'b'"):
        closure(["a"], tmp_path)
