"""Read the YAML files admins edit (app.yaml, rule files), each problem one line with its place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class TextProblem:
    """What is wrong with a file's text, and where: line and column from 1, when known."""

    message: str
    line: int | None = None
    column: int | None = None


class UnreadableText(ValueError):
    """A file whose text cannot be read as UTF-8 YAML; `problem` says what and where."""

    def __init__(self, problem: TextProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def compose(text: str) -> yaml.Node | None:
    """Parse YAML text into its node tree (which knows every line); raise UnreadableText."""
    return load(text, values=False)[0]


def load(text: str, values: bool = True) -> tuple[yaml.Node | None, Any]:
    """Parse YAML text into its node tree and (with `values`) its values; raise UnreadableText
    saying in one line what is wrong and where."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise UnreadableText(yaml_problem(exc, text)) from exc
    except RecursionError as exc:
        raise UnreadableText(TextProblem("not valid YAML: nested too deeply to read")) from exc
    return node, construct(node) if values and node is not None else None


def construct(node: yaml.Node) -> Any:
    """Build a node's value as `yaml.safe_load` would; raise UnreadableText naming the line of a
    value that cannot be built (an unknown tag, a date such as 2024-02-30)."""
    try:
        return _safe_value(node)
    except _VALUE_ERRORS as exc:
        bad = _first_unbuildable(node) or node
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UnreadableText(TextProblem(f"not valid YAML: a value cannot be read: {reason}",
                                         bad.start_mark.line + 1, bad.start_mark.column + 1)) from exc


_VALUE_ERRORS = (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError)


def _safe_value(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_document(node)


def _first_unbuildable(node: yaml.Node) -> yaml.Node | None:
    """Return the first node, in file order, whose value alone cannot be built."""
    pending: list[yaml.Node] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, yaml.ScalarNode):
            try:
                _safe_value(current)
            except _VALUE_ERRORS:
                return current
            continue
        children = ([n for pair in current.value for n in pair] if isinstance(current, yaml.MappingNode)
                    else list(current.value))
        pending.extend(reversed(children))
    return None


def yaml_problem(exc: yaml.YAMLError, text: str) -> TextProblem:
    """Say in one line what PyYAML found wrong with `text`, and where."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return TextProblem(f"not valid YAML: character U+{exc.character:04X} cannot appear in a YAML "
                           f"file; remove it", line, column)
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return TextProblem(f"not valid YAML: {problem}")
    return TextProblem(f"not valid YAML: {problem}", mark.line + 1, mark.column + 1)
