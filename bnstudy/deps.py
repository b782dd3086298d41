"""Which library modules a piece of code runs: a job's code inputs.

Editing a module must rerun exactly the jobs that run it. A rule names the
modules its script imports (``lib(...)`` in workflow/rules/common.smk); their
imports of ``bnstudy``, at module level or inside functions, are followed here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def bnstudy_imports(path: str | Path) -> set[str]:
    """Names of the ``bnstudy`` modules that the Python file at ``path`` imports anywhere.

    >>> sorted(bnstudy_imports(PACKAGE / "deps.py"))
    []
    >>> "io" in bnstudy_imports(PACKAGE / "data.py")
    True
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "bnstudy":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("bnstudy."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("bnstudy.")}
    return found


def closure(modules, package: str | Path = PACKAGE) -> list[str]:
    """``modules`` and every ``bnstudy`` module they import, transitively, sorted.

    >>> closure(["io"])
    ['io']
    """
    package = Path(package)
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        name = todo.pop()
        path = package / f"{name}.py"
        if name in seen:
            continue
        if not path.is_file():
            raise FileNotFoundError(f"no library module bnstudy/{name}.py")
        seen.add(name)
        todo.extend(bnstudy_imports(path))
    return sorted(seen)
