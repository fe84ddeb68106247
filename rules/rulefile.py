"""Read one rule file into validated rules, every problem located by file, line and column."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from rules.expressions import Expression, ExpressionError, compile_expression
from rules.metrics import PROJECT_METRICS
from rules.program import PROGRAM_METRICS
from rules.templates import Template, TemplateError, compile_template
from rules.yamltext import UnreadableText, compose, construct

LEVELS: dict[str, Mapping[str, str]] = {"project": PROJECT_METRICS, "program": PROGRAM_METRICS}
SEVERITIES = ("info", "warning", "critical")
RULE_KEYS = ("id", "level", "when", "severity", "message", "reason", "labels", "comment", "only",
             "description")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_LABEL = re.compile(r"[^\s]+\Z")
SHOWN_TEXT = 120  # an error quotes at most this much of the offending text


class RuleError(Exception):
    """A rule file that cannot be used, located by file, line, column and rule id."""

    def __init__(self, message: str, *, file: str, line: int | None = None, column: int | None = None,
                 rule_id: str | None = None, text: str | None = None) -> None:
        super().__init__(message)
        self.message, self.file, self.line, self.column = message, file, line, column
        self.rule_id, self.text = rule_id, text

    def __str__(self) -> str:
        where = self.file + "".join(f":{n}" for n in (self.line, self.column) if n is not None)
        rule = f" rule '{self.rule_id}':" if self.rule_id else ""
        text = self.text if self.text is None or len(self.text) <= SHOWN_TEXT else \
            self.text[:SHOWN_TEXT - 4] + " ..."
        shown = f" — in `{text}`" if text else ""
        return f"{where}:{rule} {self.message}{shown}"


@dataclass(frozen=True)
class Rule:
    """One validated rule."""

    id: str
    level: str
    when: Expression
    severity: str
    message: Template
    labels: tuple[str, ...] = ()
    comment: bool = True
    only: tuple[str, ...] = ()
    file: str = ""
    line: int = 0
    reason: Template | None = None  # a short clause for the health_reason field

    def applies_to(self, key: str, jira_project: str) -> bool:
        """Say whether `only` lets this rule judge the issue."""
        return not self.only or key.upper() in self.only or jira_project.upper() in self.only


class RuleFileReader:
    """Read one rule file's text with its YAML nodes at hand, so every error has a line and column;
    `file` names it in every message."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[RuleError] = []
        self.ids: list[tuple[str, int]] = []

    def error(self, message: str, node: yaml.Node | None, rule_id: str | None = None,
              text: str | None = None) -> None:
        mark = node.start_mark if node is not None else None
        self.errors.append(RuleError(message, file=self.file, line=mark.line + 1 if mark else None,
                                     column=mark.column + 1 if mark else None, rule_id=rule_id,
                                     text=text))

    def read(self, text: str) -> list[Rule]:
        if not text.strip():  # a file caught mid-save, or emptied by mistake: never "no rules at all"
            self.errors.append(RuleError("the file is empty: a rule file holds 'rules:' and a list of rules "
                                         "(write 'rules: []' for none)", file=self.file))
            return []
        try:
            root = compose(text)
        except UnreadableText as exc:
            self.errors.append(RuleError(exc.problem.message, file=self.file, line=exc.problem.line,
                                         column=exc.problem.column))
            return []
        if isinstance(root, yaml.MappingNode):
            top = {k.value: v for k, v in root.value}
            extra = sorted(set(top) - {"rules"})
            if extra:
                self.error(f"unknown top-level key '{extra[0]}': a rule file has 'rules:' only", root)
            root = top.get("rules")
        if root is None:
            return []
        if not isinstance(root, yaml.SequenceNode):
            self.error("expected 'rules:' followed by a list of rules", root)
            return []
        rules = [self.rule(node) for node in root.value]
        return [rule for rule in rules if rule is not None]

    def rule(self, node: yaml.Node) -> Rule | None:
        if not isinstance(node, yaml.MappingNode):
            self.error("each rule is a mapping with id, level, when, severity and message", node)
            return None
        keys: dict[str, yaml.Node] = {}
        raw: dict[str, Any] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            if name in keys:
                self.error(f"key '{name}' appears twice", key_node)
            keys[name] = value_node
            try:
                raw[name] = construct(value_node)
            except UnreadableText as exc:
                self.errors.append(RuleError(exc.problem.message, file=self.file, line=exc.problem.line,
                                             column=exc.problem.column))
                return None
        rule_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        if rule_id is not None:
            self.ids.append((rule_id, node.start_mark.line + 1))
        before = len(self.errors)
        for name in keys:
            if name not in RULE_KEYS:
                near = difflib.get_close_matches(name, RULE_KEYS, n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                self.error(f"unknown key '{name}'{hint}", keys[name], rule_id)
        for name in ("id", "level", "when", "severity", "message"):
            if name not in keys:
                self.error(f"missing '{name}'", node, rule_id)
        if len(self.errors) > before:
            return None
        if rule_id is None or not _ID.match(rule_id):
            self.error("id must be letters, digits, '_', '.' or '-'", keys["id"], None, str(raw["id"]))
            return None
        level, severity = raw["level"], raw["severity"]
        if level not in LEVELS:
            self.error(f"unknown level {level!r}: use project or program", keys["level"], rule_id)
            return None
        if severity not in SEVERITIES:
            self.error(f"unknown severity {severity!r}: use info, warning or critical",
                       keys["severity"], rule_id)
        when = self.expression(raw["when"], keys["when"], rule_id, LEVELS[level])
        message = self.template(raw["message"], keys["message"], rule_id, LEVELS[level])
        reason = (self.template(raw["reason"], keys["reason"], rule_id, LEVELS[level], "reason")
                  if "reason" in keys else None)
        labels = self.names(raw.get("labels", []), keys.get("labels"), rule_id, "labels", _LABEL)
        only = self.names(raw.get("only", []), keys.get("only"), rule_id, "only", _ID)
        comment = raw.get("comment", True)
        if not isinstance(comment, bool):
            self.error("comment must be true or false", keys["comment"], rule_id)
        if len(self.errors) > before or when is None or message is None:
            return None
        return Rule(id=rule_id, level=level, when=when, severity=severity, message=message,
                    labels=labels, comment=bool(comment), only=tuple(o.upper() for o in only),
                    file=self.file, line=node.start_mark.line + 1, reason=reason)

    def expression(self, text: Any, node: yaml.Node, rule_id: str,
                   kinds: Mapping[str, str]) -> Expression | None:
        if not isinstance(text, str) or not text.strip():
            self.error("when must be an expression such as `progress_pct < 50`", node, rule_id)
            return None
        try:
            return compile_expression(text.strip(), kinds)
        except ExpressionError as exc:
            self.error(str(exc), node, rule_id, text.strip())
            return None

    def template(self, text: Any, node: yaml.Node, rule_id: str,
                 kinds: Mapping[str, str], key: str = "message") -> Template | None:
        if not isinstance(text, str) or not text.strip():
            self.error(f"{key} must be text", node, rule_id)
            return None
        try:
            return compile_template(text.strip(), {**kinds, "key": "text", "today": "date"})
        except TemplateError as exc:
            self.error(str(exc), node, rule_id)
            return None

    def names(self, value: Any, node: yaml.Node | None, rule_id: str, key: str,
              pattern: re.Pattern[str]) -> tuple[str, ...]:
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) and pattern.match(v) for v in value):
            self.error(f"{key} must be a list of names without spaces", node, rule_id)
            return ()
        return tuple(value)
