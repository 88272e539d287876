"""compare/'s rooms (docs/ARCHITECTURE.md): no import cycle, layers import only downwards,
and no library module imports the command line.

Every import counts, also those inside functions: a lazy import hides a cycle from
Python, not from a reader.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS = {
    "compare.files": 0,
    "compare.tables": 0,
    "compare.data": 1,
    "compare.measure": 2,
    "compare.models": 2,
    "compare.report": 3,
    "compare.pipeline": 4,
    "compare.api": 5,
    "compare.logs": 5,
    "compare.cli": 6,
    "compare.__main__": 7,
}
"""Each room or top-level module and its layer: a module imports only lower layers and
its own room."""


def _modules() -> dict[str, Path]:
    modules = {}
    for path in (ROOT / "compare").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("compare")
            ):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("compare")}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _room(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_of_compare_has_no_cycle():
    graph = _imports(_modules())
    assert len(graph) >= 25  # every module was read (29 at the time of writing)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_no_module_but_the_entry_point_imports_the_command_line():
    graph = _imports(_modules())
    assert sorted(m for m, deps in graph.items() if "compare.cli" in deps) == ["compare.__main__"]


def test_every_module_imports_only_lower_layers_or_its_own_room():
    graph = _imports(_modules())
    rooms = {_room(m) for m in graph} - {"compare"}
    assert rooms == set(LAYERS), "a room or top-level module is missing from LAYERS"
    upward = [
        f"{m} imports {d}"
        for m, deps in graph.items()
        if m != "compare"
        for d in deps
        if _room(d) != _room(m) and LAYERS[_room(d)] >= LAYERS[_room(m)]
    ]
    assert not upward, upward


def test_the_checks_see_a_cycle_and_an_upward_import():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    assert LAYERS[_room("compare.data.tasks")] < LAYERS[_room("compare.pipeline.runner")]
