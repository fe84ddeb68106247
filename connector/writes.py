"""Decide what one PUT must carry: only the fields whose value Jira does not already hold, and the
issue properties that ride in the same edit."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from connector.errors import ConnectorError
from connector.fieldmap import FieldInfo

NUMBER_TOLERANCE = 0.05
PROPERTY_LIMIT_BYTES = 32 * 1024  # Jira refuses issue property values above 32 KB


@dataclass(frozen=True)
class FieldUpdate:
    """The body of one issue PUT and what it changes, by metric name."""

    fields: dict[str, Any] = field(default_factory=dict)
    labels_add: tuple[str, ...] = ()
    labels_remove: tuple[str, ...] = ()
    changed: dict[str, tuple[object, object]] = field(default_factory=dict)
    properties: dict[str, object] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Say whether no field or label changes, whatever properties it carries."""
        return not self.fields and not self.labels_add and not self.labels_remove

    def with_properties(self, properties: Mapping[str, object]) -> FieldUpdate:
        """Return the same update carrying issue properties too, each checked against Jira's limit."""
        for name, value in properties.items():
            check_property_size(name, json.dumps(value).encode("utf-8"))
        return FieldUpdate(self.fields, self.labels_add, self.labels_remove, self.changed,
                           {**self.properties, **properties})

    def body(self) -> dict[str, Any]:
        """Return the JSON body: `fields` for values, `update` for label adds and removes, and
        `properties` ([{key, value}], IssueUpdateDetails) for issue properties set in the same edit."""
        body: dict[str, Any] = {}
        if self.fields:
            body["fields"] = dict(self.fields)
        ops = [{"add": label} for label in self.labels_add]
        ops += [{"remove": label} for label in self.labels_remove]
        if ops:
            body["update"] = {"labels": ops}
        if self.properties:
            body["properties"] = [{"key": k, "value": v} for k, v in self.properties.items()]
        return body


def as_number(value: object) -> float | None:
    """Return a number as float; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def same_value(new: object, old: object) -> bool:
    """Say whether Jira already holds `new`: numbers within 0.05, text ignoring edge spaces."""
    if isinstance(old, dict) and "value" in old:
        old = old["value"]
    new_number, old_number = as_number(new), as_number(old)
    if new_number is not None and old_number is not None:
        return abs(new_number - old_number) < NUMBER_TOLERANCE + 1e-9
    if isinstance(new, str) and isinstance(old, str):
        return new.strip() == old.strip()
    if isinstance(new, date) and isinstance(old, str):
        return new.isoformat() == old[:10]
    if new in (None, "") and old in (None, ""):
        return True
    return new == old


def encode(info: FieldInfo, value: object) -> object:
    """Encode a value for a field of Jira's kind: select as {"value": ...}, numbers, text, dates."""
    if value is None:
        return None
    if info.is_select:
        option = str(value)
        if info.options and option not in info.options:
            allowed = ", ".join(info.options)
            raise ConnectorError(f"field '{info.name}' has no option '{option}' (it has: {allowed}); "
                                 "add the option in Jira or use a text field")
        return {"value": option}
    if info.is_number:
        number = as_number(value)
        if number is None:
            raise ConnectorError(f"field '{info.name}' holds numbers, not {value!r}")
        return round(number, 4)
    if info.kind == "date" and isinstance(value, date):
        return value.isoformat()
    if info.kind in ("string", "any") and not isinstance(value, str):
        return value.isoformat() if isinstance(value, date) else _plain(value)
    return value


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def plan_update(values: Mapping[str, object], current: Mapping[str, object],
                targets: Mapping[str, FieldInfo], labels_add: Sequence[str] = (),
                labels_remove: Sequence[str] = (),
                current_labels: Sequence[str] | None = None) -> FieldUpdate:
    """Return the update for metrics whose value differs from Jira's; unknown metrics are refused."""
    fields: dict[str, Any] = {}
    changed: dict[str, tuple[object, object]] = {}
    for metric, value in values.items():
        info = targets.get(metric)
        if info is None:
            raise ConnectorError(f"no Jira field is configured or found for output '{metric}'")
        old = current.get(metric)
        if same_value(value, old):
            continue
        fields[info.id] = encode(info, value)
        changed[metric] = (old, value)
    have = set(current_labels) if current_labels is not None else None
    adds = tuple(dict.fromkeys(label for label in labels_add if have is None or label not in have))
    removes = tuple(dict.fromkeys(label for label in labels_remove if have is None or label in have))
    return FieldUpdate(fields, adds, removes, changed)


def check_property_size(name: str, encoded: bytes) -> None:
    """Refuse a property value Jira would reject for size, before sending it."""
    if len(encoded) > PROPERTY_LIMIT_BYTES:
        raise ConnectorError(f"issue property '{name}' is {len(encoded)} bytes; Jira's limit is "
                             f"{PROPERTY_LIMIT_BYTES} bytes (32 KB)")
