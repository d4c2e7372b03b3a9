"""The layer contract of the package, read from the code's own imports.

Every ``import`` and ``from ... import`` counts, wherever it stands: at the top of a module,
inside a function, under ``if TYPE_CHECKING``. Only imports of the package itself are read.
"""

from __future__ import annotations

import ast
from pathlib import Path

#: From the top down. A module may import its own unit (the package or module named here that
#: holds it) and any unit on a lower layer; nothing else. ``scoredsl`` is the package's face
#: (``scoredsl/__init__.py`` alone); a module of no unit is an error.
LAYERS = (
    ("scoredsl.__main__",),
    ("scoredsl.cli",),
    ("scoredsl", "scoredsl.api"),
    ("scoredsl.diff", "scoredsl.modeltests", "scoredsl.lsp", "scoredsl.backtest"),
    ("scoredsl.engines",),
    ("scoredsl.compiler",),
    ("scoredsl.plugins",),
    ("scoredsl.check",),
    ("scoredsl.syntax",),
    ("scoredsl.data",),
    ("scoredsl.diagnostics",),
)

#: What a plugin distribution may import of scoredsl.
PUBLIC = "scoredsl.api"


def modules(src: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """``{module name: (file, is a package)}`` for every module of ``package`` under ``src``."""
    found = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


def imports(path: Path, module: str, is_package: bool, known) -> list[tuple[str, int]]:
    """``(imported module, line)`` for every import in the file, relative ones resolved to the
    modules of ``known`` (``from X import Y`` names the module ``X.Y`` when there is one, else
    ``X``); names outside ``known`` are left out."""
    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [resolve(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            targets = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in known else resolve(prefix)
                       for alias in node.names]
        else:
            continue
        found.extend((target, node.lineno) for target in targets if target is not None)
    return found


def graph(src: Path, package: str) -> dict[str, dict[str, int]]:
    """``{module: {imported module of the package: first line}}``."""
    known = modules(src, package)
    edges: dict[str, dict[str, int]] = {}
    for module, (path, is_package) in known.items():
        out = edges.setdefault(module, {})
        for target, line in imports(path, module, is_package, known):
            if target != module:
                out.setdefault(target, line)
    return edges


def unit(module: str) -> tuple[int, str] | None:
    """``(layer index, unit)`` of a module: the longest unit of :data:`LAYERS` that holds it."""
    best = None
    for index, layer in enumerate(LAYERS):
        for name in layer:
            holds = module == name or ("." in name and module.startswith(name + "."))   # the face: itself only
            if holds and (best is None or len(name) > len(best[1])):
                best = (index, name)
    return best


def upward_imports(edges: dict[str, dict[str, int]], files: dict[str, tuple[Path, bool]]) -> list[str]:
    """Each import of a unit on the same or a higher layer than the importer's (its own unit
    excepted), and each module that belongs to no layer."""
    problems = []
    for module, targets in sorted(edges.items()):
        here = unit(module)
        if here is None:
            problems.append(f"{files[module][0]}: module {module} belongs to no layer")
            continue
        for target, line in sorted(targets.items()):
            there = unit(target)
            if there is None or there[1] == here[1]:
                continue
            if there[0] <= here[0]:
                problems.append(f"{files[module][0]}:{line}: {module} imports {target}, which is "
                                f"{'a layer above it' if there[0] < here[0] else 'beside it on its layer'} "
                                f"({there[1]} over {here[1]})")
    return problems


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected groups of two modules or more (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def private_imports(plugin_src: Path) -> list[str]:
    """Each import of scoredsl by a plugin distribution's code that is not the public API."""
    problems = []
    for path in sorted(plugin_src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = ([f"scoredsl.{alias.name}" for alias in node.names] if node.module == "scoredsl"
                         else [node.module])
            else:
                continue
            for name in names:
                if (name == "scoredsl" or name.startswith("scoredsl.")) and name != PUBLIC:
                    problems.append(f"{path}:{node.lineno}: imports {name}; a plugin imports only {PUBLIC}")
    return problems
