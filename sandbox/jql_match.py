"""Evaluate a parsed JQL query against one issue, with Jira's semantics for empty fields and dates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sandbox import jql_values as values
from sandbox.jql_tree import Bool, Clause, Empty, Func, Item, Node, Not, Value


def evaluate(node: Node, issue: Mapping[str, object], now: datetime) -> bool:
    if isinstance(node, Bool):
        results = (evaluate(child, issue, now) for child in node.nodes)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not evaluate(node.node, issue, now)
    return _clause_matches(node, issue, now)


def _function_time(func: Func, now: datetime) -> datetime:
    """Evaluate now(), startOfDay([period]) or endOfDay([period]) in UTC."""
    if func.name == "now":
        return now
    moment = values.shift_by_period(func.args[0], now) if func.args else now
    start = (moment or now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start if func.name == "startofday" else start + timedelta(days=1) - timedelta(microseconds=1)


def _clause_matches(clause: Clause, issue: Mapping[str, object], now: datetime) -> bool:
    present = values.present_values(issue.get(clause.field))
    if clause.op in ("is", "is not"):
        return (clause.op == "is") == (not present)
    wants_empty = any(isinstance(item, Empty) for item in clause.operand)
    real = [item for item in clause.operand if not isinstance(item, Empty)]
    op = "=" if clause.op in ("in", "not in", "!=") else clause.op
    if op == "=" and present and _settable(clause):
        hit = any(_equals_any(clause, value, issue, now) for value in present)
    else:
        hit = any(_item_matches(clause.field, op, value, item, issue, now)
                  for value in present for item in real)
    if clause.op in ("!=", "not in"):
        # Jira: != and NOT IN never match an empty field; "!= EMPTY" means "is not empty".
        return bool(present) and not hit
    return hit or (wants_empty and not present)


def _settable(clause: Clause) -> bool:
    """Say whether equality can be a set lookup: plain values, no numeric keys standing for ids."""
    numeric = any(isinstance(i, Value) and i.text.strip().isdigit() for i in clause.operand)
    plain = all(isinstance(i, Value | Empty) for i in clause.operand)
    return plain and not (clause.field == "key" and numeric)


def _equals_any(clause: Clause, value: object, issue: Mapping[str, object], now: datetime) -> bool:
    """Say whether `value` equals one of the clause's values; a set lookup for all but dates."""
    left = values.comparable(clause.field, value)
    if left is None:
        return False
    if isinstance(left, datetime):  # relative dates depend on `now`: compare one by one
        return any(_item_matches(clause.field, "=", value, item, issue, now) for item in clause.operand
                   if not isinstance(item, Empty))
    return left in _operand_set(clause, type(left).__name__)


_SAMPLES: dict[str, values.Comparable] = {"float": 0.0, "tuple": values.key_order("A-1"), "str": ""}


@lru_cache(maxsize=1024)
def _operand_set(clause: Clause, kind: str) -> frozenset[object]:
    """Read the clause's values once as one kind of issue value (numbers, keys or text)."""
    like = _SAMPLES[kind]
    found = (values.coerce_operand(clause.field, i.text, like, datetime.now(UTC))
             for i in clause.operand if isinstance(i, Value))
    return frozenset(v for v in found if v is not None)


def _item_matches(
    field_name: str, op: str, value: object, item: Item, issue: Mapping[str, object], now: datetime
) -> bool:
    if field_name == "key" and isinstance(item, Value) and item.text.strip().isdigit():
        field_name, value = "id", issue.get("id")
    left = values.comparable(field_name, value)
    if left is None:
        return False
    if isinstance(item, Func):
        right: values.Comparable | None = _function_time(item, now) if isinstance(left, datetime) else None
    else:
        assert isinstance(item, Value)
        right = values.coerce_operand(field_name, item.text, left, now)
    return right is not None and values.compare(op, left, right)
