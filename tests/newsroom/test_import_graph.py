"""The import graph keeps DESIGN.md's shape: one way, no circles, each kind of module in its lane.

Read from the source (every import statement, those inside functions included), so a lazy import
cannot hide an arrow: newsroom -> integrations -> moderation -> accounts -> comments -> articles,
and comments/classifier/ below everything, knowing no Django.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Each may import only those after it.
APPS = ("newsroom", "integrations", "moderation", "accounts", "comments", "articles")
CLASSIFIER = "comments.classifier"
# The request type every view is annotated with. It imports nothing of the project, so the views'
# arrows to it cannot close a circle; it is the one module of newsroom/ that the apps may import.
SHARED = {"newsroom.http"}


def module_name(path: Path) -> str:
    parts = path.relative_to(BASE_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path for app in APPS for path in sorted((BASE_DIR / app).rglob("*.py"))
}


def imports_of(module: str) -> Iterator[str]:
    """Every module `module` imports: project modules by full name, others by package."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                # `from comments import scoring` imports a module; `from x import name` does not.
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


GRAPH = {module: {name for name in imports_of(module) if name != module} for module in MODULES}


def app_of(module: str) -> str:
    return module.split(".")[0]


def project_edges() -> Iterator[tuple[str, str]]:
    for module, targets in GRAPH.items():
        for target in targets:
            if app_of(target) in APPS:
                yield module, target


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in GRAPH.get(node, ()):
            if target not in MODULES:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in MODULES:
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_back() -> None:
    assert cycles() == []


def test_apps_import_only_the_apps_below_them() -> None:
    upward = [
        f"{module} -> {target}"
        for module, target in project_edges()
        if APPS.index(app_of(target)) < APPS.index(app_of(module)) and target not in SHARED
    ]
    assert upward == []
    assert all(app_of(target) not in APPS for module in SHARED for target in GRAPH[module])


def test_the_classifier_imports_neither_django_nor_the_rest_of_the_project() -> None:
    leaks = [
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if module.startswith(CLASSIFIER)
        for target in targets
        if target.split(".")[0] == "django"
        or (app_of(target) in APPS and not target.startswith(CLASSIFIER))
    ]
    assert leaks == []


def kind(module: str) -> str:
    """What a module is within its app: "views" for comments.views and moderation.views.queue."""
    return module.split(".")[1] if "." in module else ""


def test_views_never_import_views_and_forms_never_import_services() -> None:
    crossings = [
        f"{module} -> {target}"
        for module, target in project_edges()
        if (kind(module), kind(target)) in {("views", "views"), ("forms", "services")}
    ]
    assert crossings == []
