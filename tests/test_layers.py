"""The packages form floors: extract at the bottom, then head, evaluation and tools; cli.py and the
benchmarks on top. No module imports from a floor above its own, and no modules import each other
in a circle (type-only imports included), so each floor can be read and tested without the ones
above it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {"extract": 0, "head": 1, "evaluation": 2, "tools": 3, "cli": 4}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path) -> set[str]:
    """The project modules that `path` imports, at any depth of its code (relative imports resolved)."""
    package = module_name(path).split(".")[:-1] if path.name != "__init__.py" else module_name(path).split(".")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else [])) \
                if node.level else node.module or ""
            # `from extract import synth` names a module; `from extract.synth import x` names a package.
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.split(".")[0] in FLOORS)
    return found


def modules() -> dict[str, set[str]]:
    paths = [ROOT / "cli.py"] + [p for package in FLOORS if package != "cli" for p in (ROOT / package).rglob("*.py")]
    graph = {module_name(path): project_imports(path) for path in paths}
    # Keep what names a module of the project (an imported function's name is not one).
    return {name: {target for target in imports if target in graph} for name, imports in graph.items()}


def test_no_module_imports_from_a_floor_above_its_own():
    upward = [f"{name} -> {target}" for name, imports in modules().items() for target in imports
              if FLOORS[target.split(".")[0]] > FLOORS[name.split(".")[0]]]
    assert upward == []


def test_no_modules_import_each_other_in_a_circle():
    graph = modules()
    state: dict[str, str] = {}
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_graph_is_read_from_the_code():
    graph = modules()
    assert "head.configs" in graph["cli"] and "extract.span_metrics" in graph["head.validation"]
    assert "extract.synth.corpus" in graph["extract.synth"]  # a package's own relative or absolute imports
    assert len(graph) > 40
