"""The connector is one gateway: the rest of pmrollup talks to Jira through its public methods only,
and the `jira` library's internals are reached in one module, connector/transport.py."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

from jira import JIRA

from connector.client import Credentials, JiraGateway
from rules.config import parse_config

ROOT = Path(__file__).resolve().parents[2]
TRANSPORT = ROOT / "connector" / "transport.py"


def private(names: Iterable[str]) -> set[str]:
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def gateway_privates() -> set[str]:
    config = parse_config("jira: {flavor: cloud}\n")
    gateway = JiraGateway(config, Credentials("http://127.0.0.1:9", None, "t"))
    return private(dir(JiraGateway)) | private(vars(gateway))


def library_privates() -> set[str]:
    client = JIRA(server="http://127.0.0.1:9", get_server_info=False, max_retries=0)
    return private(dir(JIRA)) | private(vars(client))


def sources(*folders: str) -> Iterator[Path]:
    """Yield pmrollup's own modules under the folders, not what a tool installed there (the bench's
    peer venv, caches): any path with a part that starts with a dot is left out."""
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not any(part.startswith(".") for part in path.relative_to(ROOT).parts):
                yield path


def reaches(path: Path, names: set[str]) -> list[str]:
    """Return `where: .name` for each attribute among `names` read on anything but self or cls."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in names:
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    return found


def test_nothing_but_the_gateway_itself_calls_a_private_part_of_the_gateway() -> None:
    names = gateway_privates()
    wrong = [hit for path in sources("connector", "webhooks", "rules", "bench")
             for hit in reaches(path, names)]
    assert wrong == []


def test_the_jira_library_is_imported_by_the_connector_alone() -> None:
    wrong = []
    for path in sources("webhooks", "rules"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            wrong += [f"{path.relative_to(ROOT)}: {m}" for m in modules
                      if m == "jira" or m.startswith("jira.")]
    assert wrong == []


def test_the_jira_librarys_internals_are_reached_in_transport_alone() -> None:
    names = library_privates()
    wrong = [hit for path in sources("connector", "webhooks", "rules", "bench") if path != TRANSPORT
             for hit in reaches(path, names)]
    assert wrong == []
    assert reaches(TRANSPORT, names), "the scan should see transport's reaches"
