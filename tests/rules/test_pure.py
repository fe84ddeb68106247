"""rules/ is pure: no module reads a file, the environment or a clock it was not handed."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Modules that reach the disk, the environment or the wall clock.
IO_MODULES = frozenset({"os", "pathlib", "io", "time", "glob", "shutil", "tempfile", "subprocess",
                        "socket", "fileinput"})
# Calls that read the wall clock or a file, whatever they were imported as.
CLOCK_CALLS = frozenset({"now", "utcnow", "today"})
IO_CALLS = frozenset({"open", "getenv", "read_text", "read_bytes", "glob", "iglob"})


def impurities(source: str) -> list[str]:
    """Return what in a module's text reads a file, the environment or a clock, with its line."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] in IO_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in IO_MODULES:
                found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in IO_CALLS or (isinstance(func, ast.Attribute) and name in CLOCK_CALLS):
                found.append(f"{node.lineno}: {name}()")
        elif isinstance(node, ast.Attribute | ast.Name):
            name = node.attr if isinstance(node, ast.Attribute) else node.id
            if name == "environ":
                found.append(f"{node.lineno}: environ")
    return found


def test_no_module_in_rules_reads_files_the_environment_or_the_clock() -> None:
    found = {str(path.relative_to(ROOT)): impurities(path.read_text(encoding="utf-8"))
             for path in sorted((ROOT / "rules").rglob("*.py"))}
    assert {module: lines for module, lines in found.items() if lines} == {}


def test_the_scan_sees_each_kind_of_io() -> None:
    source = ("import os\nfrom pathlib import Path\nfrom datetime import date, datetime\n"
              "open('x')\nx = datetime.now()\ny = date.today()\nz = os.environ\n")
    assert impurities(source) == ["1: import os", "2: from pathlib import ...", "4: open()",
                                  "5: now()", "6: today()", "7: environ"]
