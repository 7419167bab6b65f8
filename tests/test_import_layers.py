"""The packages under mmp_assets form layers: a lower one never imports a higher one, and no module
import goes round in a circle. Imports are read with `ast`, function-level ones included, so an import
hidden in a function body to dodge a cycle at load time still counts."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# lowest first; a package may import only packages in an earlier tier (never its own tier's neighbours)
LAYERS: list[tuple[str, ...]] = [
    ("catalog", "demo", "keys", "tags"),
    ("recipes",),
    ("feature_store",),
    ("online", "registry", "scaffold"),
    ("training",),
    ("evaluation",),
    ("automation", "prompts", "serving"),
    ("audit",),
    ("factory",),
    ("definitions",),
    ("cli",),
    ("__init__",),  # the code location's lazy `defs`
]
TIER = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def _modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules("mmp_assets") | _modules("mmp_resources")


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """(imported mmp module, line) for every import statement in the file, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            # `from pkg import module` imports the module; `from module import name` the module itself
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.append((target, node.lineno))
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


def test_every_package_has_a_layer() -> None:
    units = {_unit(m) for m in MODULES if m.startswith("mmp_assets")}
    assert not units - set(TIER), f"place these in LAYERS: {sorted(units - set(TIER))}"


def test_lower_layers_never_import_higher_ones() -> None:
    offending = []
    for module, imports in GRAPH.items():
        if not module.startswith("mmp_assets"):
            continue
        for target, line in imports:
            source, dest = _unit(module), _unit(target)
            if target.startswith("mmp_assets") and source != dest and TIER[dest] >= TIER[source]:
                offending.append(f"{_where(module, line)}: {source} imports {dest} ({target})")
    assert not offending, "imports against the layer order:\n" + "\n".join(offending)


def test_mmp_resources_never_imports_mmp_assets() -> None:
    offending = [f"{_where(m, line)}: imports {t}" for m, imports in GRAPH.items() if m.startswith("mmp_resources")
                 for t, line in imports if t.startswith("mmp_assets")]
    assert not offending, "\n".join(offending)


def test_no_module_import_cycle() -> None:
    """Within a package too: a cycle of modules is found by depth-first search and printed edge by edge."""
    state: dict[str, str] = {}
    stack: list[tuple[str, int]] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        for target, line in GRAPH[module]:
            stack.append((module, line))
            if state.get(target) == "open":
                start = next(i for i, (m, _) in enumerate(stack) if m == target)
                return [f"{_where(m, ln)} -> {nxt}" for (m, ln), nxt in
                        zip(stack[start:], [m for m, _ in stack[start + 1:]] + [target])]
            if target not in state and (cycle := visit(target)):
                return cycle
            stack.pop()
        state[module] = "done"
        return None

    for module in GRAPH:
        if module not in state and (cycle := visit(module)):
            raise AssertionError("import cycle:\n" + "\n".join(cycle))
