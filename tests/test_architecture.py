"""The rooms' order in ARCHITECTURE.md holds in the code: no import goes up or sideways, no circle."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("connector", "rules", "webhooks", "sandbox")
ROOM = re.compile(r"`([a-z_/]+?)(?:\.py)?`")


def rooms_in_order() -> list[list[str]]:
    """Read the numbered list under "Rooms, top to bottom": the rooms of each line, as module prefixes."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Rooms, top to bottom", 1)[1].split("\n## ", 1)[0]
    levels = []
    for line in section.splitlines():
        if re.match(r"\d+\. ", line):
            head = line.split(":", 1)[0]
            levels.append([name.replace("/", ".") for name in ROOM.findall(head)])
    return levels


def exceptions() -> set[tuple[str, str]]:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    found = re.findall(r"Exception: `([a-z_/]+)` may import `([a-z_/]+)`", text)
    return {(a.replace("/", "."), b.replace("/", ".")) for a, b in found}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(known: dict[str, Path]) -> dict[str, set[str]]:
    """Return each module's imports of other modules of the product, wherever in the file they are."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            wanted: list[str] = []
            if isinstance(node, ast.Import):
                wanted = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                wanted = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            graph[name] |= {w for w in wanted if w in known and w != name}
    return graph


def room_of(module: str, levels: list[list[str]]) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    for level, rooms in enumerate(levels):
        for room in rooms:
            inside = module == room or module.startswith(room + ".")
            if inside and (best is None or len(room) > len(best[1])):
                best = (level, room)
    return best


def test_architecture_md_names_the_rooms_of_every_product_module() -> None:
    levels = rooms_in_order()
    assert len(levels) >= 6
    homeless = [m for m in modules() if room_of(m, levels) is None and not m.startswith("sandbox")
                and m != "webhooks"]
    assert homeless == [], "name these modules' room in ARCHITECTURE.md"


def test_no_module_imports_a_room_above_or_beside_its_own() -> None:
    levels = rooms_in_order()
    allowed = exceptions()
    wrong = []
    for module, targets in imports(modules()).items():
        here = room_of(module, levels)
        for target in targets:
            there = room_of(target, levels)
            if target.startswith("sandbox") and not module.startswith("sandbox"):
                if here is None or (here[1], "sandbox") not in allowed:
                    wrong.append(f"{module} -> {target} (the product never imports the sandbox)")
                continue
            if module.startswith("sandbox") and not target.startswith("sandbox"):
                wrong.append(f"{module} -> {target} (the sandbox imports nothing of the product)")
                continue
            if here is None or there is None or here[1] == there[1]:
                continue
            if there[0] <= here[0]:
                wrong.append(f"{module} ({here[1]}) -> {target} ({there[1]})")
    assert wrong == []


def test_there_is_no_import_circle_lazy_imports_included() -> None:
    graph = imports(modules())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(modules()):
        if module not in index:
            visit(module)
    assert circles == []


def test_the_check_sees_an_import_against_the_order() -> None:
    levels = rooms_in_order()
    store, cli = room_of("webhooks.store.inbox", levels), room_of("webhooks.cli.main", levels)
    assert store is not None and cli is not None and store[0] > cli[0]
    assert room_of("rules.plan", levels) == (len(levels) - 1, "rules")


def test_the_web_side_loads_neither_numpy_nor_rule_engine() -> None:
    # A gunicorn worker imports the web side: numpy and rule-engine's parser cost it half a second each.
    probe = "import sys, webhooks.app; print(sorted({'numpy', 'rule_engine'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
