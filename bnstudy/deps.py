"""Which library modules a piece of code runs: a job's code inputs.

Editing a module must rerun exactly the jobs that run it. A rule names the
modules its script imports (``lib(...)`` in workflow/rules/common.smk, dotted
below ``bnstudy``: ``"training.job"``); their imports of ``bnstudy``, at module
level or inside functions, are followed here. Importing ``bnstudy.a.b`` runs
``bnstudy/a/__init__.py`` too, so a package's ``__init__`` counts as imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def module_file(name: str, package: str | Path = PACKAGE) -> Path | None:
    """The file of module ``name`` (dotted, below ``bnstudy``), or None if there is none.

    >>> module_file("deps").name, module_file("nothere")
    ('deps.py', None)
    """
    base = Path(package).joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _parents(name: str) -> list[str]:
    """The packages that importing ``name`` runs: ``a.b.c`` → ``a``, ``a.b``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def bnstudy_imports(path: str | Path, package: str | Path = PACKAGE) -> set[str]:
    """Dotted names of the ``bnstudy`` modules the Python file at ``path`` imports anywhere.

    ``from bnstudy.x import y`` imports module ``x.y`` when ``y`` is a module of
    package ``x``, else module ``x`` (``y`` is a name in it); the top package
    defines no names, so ``from bnstudy import y`` always imports module ``y``.

    >>> sorted(bnstudy_imports(PACKAGE / "deps.py"))
    []
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module != "bnstudy" and not node.module.startswith("bnstudy."):
                continue
            base = node.module.removeprefix("bnstudy").lstrip(".")
            for alias in node.names:
                sub = f"{base}.{alias.name}" if base else alias.name
                # bnstudy/__init__.py defines no names: ``from bnstudy import x`` is a module.
                if not base or module_file(sub, package) is not None:
                    found.add(sub)
                else:
                    found.add(base)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bnstudy."):
                    found.add(alias.name.removeprefix("bnstudy."))
    return found | {p for name in found for p in _parents(name)}


def closure(modules, package: str | Path = PACKAGE) -> list[str]:
    """``modules`` and every ``bnstudy`` module they import, transitively, sorted.

    >>> closure(["io"])
    ['io']
    """
    seen: set[str] = set()
    todo = [m for name in modules for m in (name, *_parents(name))]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name, package)
        if path is None:
            raise FileNotFoundError(f"no library module {name!r} under {package}")
        seen.add(name)
        todo.extend(bnstudy_imports(path, package))
    return sorted(seen)


def closure_files(modules, package: str | Path = PACKAGE) -> list[Path]:
    """The files of ``closure(modules)``: what a job that imports ``modules`` runs."""
    return [module_file(name, package) for name in closure(modules, package)]
