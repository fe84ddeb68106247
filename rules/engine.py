"""Rule files: validate their text once, then evaluate them against metrics into findings."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import rule_engine

from rules.expressions import EVALUATION_ERRORS
from rules.rulefile import LEVELS, SEVERITIES, Rule, RuleError, RuleFileReader
from rules.templates import format_value

__all__ = ["LEVELS", "SEVERITIES", "Finding", "ProblemLog", "Rule", "RuleError", "RuleSet", "RuleSource",
           "compile_rules", "deciding_rules", "evaluate", "health_of", "rule_set"]


@dataclass(frozen=True)
class RuleSet:
    """The rules in force."""

    rules: tuple[Rule, ...] = ()

    def for_level(self, level: str) -> tuple[Rule, ...]:
        """Return the rules of one level, in file order."""
        return tuple(rule for rule in self.rules if rule.level == level)


@dataclass
class ProblemLog:
    """Each rule's first evaluation-time problem (a null it met, arithmetic out of range), kept by
    whoever keeps the rules, so a problem is said once however many issues meet it."""

    by_rule: dict[str, str] = field(default_factory=dict)

    def report(self, rule_id: str, text: str) -> bool:
        """Keep a rule's first report; say whether this one is new."""
        if rule_id in self.by_rule:
            return False
        self.by_rule[rule_id] = text
        return True


@dataclass(frozen=True)
class Finding:
    """A rule that holds for an issue, with the figures a reader needs to act."""

    rule: str
    severity: str
    message: str
    details: Mapping[str, Any]
    issue_key: str
    labels: tuple[str, ...] = ()
    comment: bool = True
    reason: str = ""  # the rule's short clause for health_reason, rendered; empty when it has none


@dataclass(frozen=True)
class RuleSource:
    """One rule file as read: the name its messages give, and its text or why it could not be read."""

    file: str
    text: str = ""
    error: RuleError | None = None


def rule_set(sources: Sequence[RuleSource]) -> RuleSet:
    """Compile rule files' text into the rules in force; raise the first RuleError found."""
    rules, errors = compile_rules(sources)
    if errors:
        raise errors[0]
    return RuleSet(tuple(rules))


def compile_rules(sources: Sequence[RuleSource]) -> tuple[list[Rule], list[RuleError]]:
    """Compile rule files' text, in order; return the good rules and every problem found.

    The same files' text compiles to the same rules, so what compiled cleanly is kept for the
    process (compiling every expression and template is most of what loading rules costs)."""
    if any(source.error is not None for source in sources):
        return _compiled(sources)
    rules, clean = _compiled_once(tuple((source.file, source.text) for source in sources))
    return (list(rules), []) if clean else _compiled(sources)  # errors are raised fresh each time


@functools.lru_cache(maxsize=16)
def _compiled_once(texts: tuple[tuple[str, str], ...]) -> tuple[tuple[Rule, ...], bool]:
    rules, errors = _compiled([RuleSource(file, text) for file, text in texts])
    return tuple(rules), not errors


def _compiled(sources: Sequence[RuleSource]) -> tuple[list[Rule], list[RuleError]]:
    rules: list[Rule] = []
    errors: list[RuleError] = []
    seen: dict[str, str] = {}
    for source in sources:
        if source.error is not None:
            errors.append(source.error)
            continue
        reader = RuleFileReader(source.file)
        read = reader.read(source.text)
        for rule_id, line in reader.ids:
            if rule_id in seen:
                reader.errors.append(RuleError(f"duplicate id: already defined at {seen[rule_id]}",
                                               file=reader.file, line=line, rule_id=rule_id))
            else:
                seen[rule_id] = f"{reader.file}:{line}"
        rules.extend(r for r in read if seen[r.id] == f"{reader.file}:{r.line}")
        errors.extend(sorted(reader.errors, key=lambda e: (e.line or 0, e.column or 0)))
    return rules, errors


def evaluate(rules: RuleSet, level: str, key: str, jira_project: str, metrics: Mapping[str, Any],
             today: date, details: Mapping[str, Any], problems: ProblemLog | None = None) -> list[Finding]:
    """Return the findings of every rule of `level` that holds; a null means the rule does not fire.

    A rule that meets a null (or arithmetic out of range) never raises: its first such problem is
    kept in `problems`, when given.
    """
    findings: list[Finding] = []
    for rule in rules.for_level(level):
        if not rule.applies_to(key, jira_project):
            continue
        try:
            fired = rule.when.matches(metrics, today)
        except EVALUATION_ERRORS as exc:
            if problems is not None:
                problems.report(rule.id, _problem(rule, key, metrics, exc))
            continue
        if not fired:
            continue
        shown = {name: metrics.get(name) for name in sorted(rule.when.symbols)}
        values = {**metrics, "key": key, "today": today}
        findings.append(Finding(
            rule=rule.id, severity=rule.severity, message=rule.message.render(values),
            details={**shown, **_extra_details(rule.when.symbols, details)},
            issue_key=key, labels=rule.labels, comment=rule.comment,
            reason=rule.reason.render(values) if rule.reason is not None else "",
        ))
    return findings


def _problem(rule: Rule, key: str, metrics: Mapping[str, Any], exc: Exception) -> str:
    """Say why a rule could not be evaluated on an issue, and what to change."""
    where = f"rule '{rule.id}' ({rule.file}:{rule.line}) did not fire on {key}"
    nulls = sorted(name for name in rule.when.symbols if metrics.get(name) is None)
    if nulls:
        return f"{where}: {', '.join(nulls)} is null; guard it, e.g. `{nulls[0]} != null and ...`"
    if isinstance(exc, rule_engine.EngineError):
        why = exc.message
    elif isinstance(exc, RecursionError):
        why = "the expression is too deep to evaluate"
    else:
        why = f"its arithmetic went out of range ({exc})"
    figures = ", ".join(f"{name} = {format_value(metrics.get(name))}" for name in sorted(rule.when.symbols))
    shown = f" with {figures}" if figures else ""
    return f"{where}: {why}{shown}; check the arithmetic of its `when`"


def _extra_details(symbols: frozenset[str], details: Mapping[str, Any]) -> dict[str, Any]:
    """Pick the lists a reader needs: dependencies for dependency rules, scope keys for scope rules."""
    extra: dict[str, Any] = {}
    if any("dependencies" in s for s in symbols) and "dependencies" in details:
        wants_overdue = any(s.endswith("overdue") and "dependencies" in s for s in symbols)
        wants_cross = any(s.startswith("cross_project") for s in symbols)
        deps = [d for d in details["dependencies"]
                if (not wants_overdue or d.get("overdue")) and (not wants_cross or d.get("cross_project"))]
        extra["dependencies"] = deps
    if any(s.startswith(("scope_", "baseline_")) for s in symbols):
        extra.update({k: details[k] for k in ("scope_added", "scope_removed", "baseline_truncated")
                      if k in details})
    return extra


# The health a finding's severity makes, worst first; with none of these, an issue is on-track.
HEALTH_OF_SEVERITY = (("critical", "off-track"), ("warning", "at-risk"))


def health_of(findings: Sequence[Finding]) -> str:
    """Return off-track when any finding is critical, at-risk when any is a warning, else on-track."""
    severities = {f.severity for f in findings}
    return next((health for severity, health in HEALTH_OF_SEVERITY if severity in severities), "on-track")


def deciding_rules(findings: Sequence[Finding]) -> str | None:
    """Return the rules whose findings decided the health (the worst severity's), comma-separated."""
    for severity, _ in HEALTH_OF_SEVERITY:
        rules = sorted({f.rule for f in findings if f.severity == severity})
        if rules:
            return ", ".join(rules)
    return None
