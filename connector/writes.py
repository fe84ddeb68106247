"""Decide what one PUT must carry: only the fields whose value Jira does not already hold and the
site accepts, and the issue properties that ride in the same edit.

A field the site cannot take (a select without the option, a field of another type, one off the
edit screen, one that does not exist) is a refusal: it is left out of the edit, so the other
fields still land, and the caller records it as a site problem."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from connector.errors import ConnectorError
from connector.fieldmap import FieldInfo, options_lacking, wrong_kind
from rules.sameness import as_number, same_value

PROPERTY_LIMIT_BYTES = 32 * 1024  # Jira refuses issue property values above 32 KB


class FieldRefused(ConnectorError):
    """A value the site's field cannot take, known before any request."""


@dataclass(frozen=True)
class Refusal:
    """One output field an issue's edit cannot set, and why (pmrollup's words or Jira's)."""

    metric: str
    field_id: str
    field_name: str
    reason: str


@dataclass(frozen=True)
class Written:
    """What one write did: the metrics it changed (old, new), the ids of the fields that took them
    and could take every value pmrollup writes there (the writes that show a field's site problem
    fixed), and the fields it had to leave out."""

    changed: dict[str, tuple[object, object]] = field(default_factory=dict)
    refused: tuple[Refusal, ...] = ()
    field_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FieldUpdate:
    """The body of one issue PUT and what it changes, by metric name."""

    fields: dict[str, Any] = field(default_factory=dict)
    labels_add: tuple[str, ...] = ()
    labels_remove: tuple[str, ...] = ()
    changed: dict[str, tuple[object, object]] = field(default_factory=dict)
    properties: dict[str, object] = field(default_factory=dict)
    refused: tuple[Refusal, ...] = ()
    field_metrics: dict[str, str] = field(default_factory=dict)  # field id -> metric
    partial: frozenset[str] = frozenset()  # selects that take this value but lack another pmrollup writes

    def written(self) -> Written:
        """Return what this update, once made, wrote."""
        return Written(self.changed, self.refused,
                       frozenset(fid for fid, metric in self.field_metrics.items()
                                 if metric in self.changed and fid not in self.partial))

    @property
    def empty(self) -> bool:
        """Say whether no field or label changes, whatever properties it carries."""
        return not self.fields and not self.labels_add and not self.labels_remove

    def with_properties(self, properties: Mapping[str, object]) -> FieldUpdate:
        """Return the same update carrying issue properties too, each checked against Jira's limit."""
        for name, value in properties.items():
            check_property_size(name, json.dumps(value).encode("utf-8"))
        return FieldUpdate(self.fields, self.labels_add, self.labels_remove, self.changed,
                           {**self.properties, **properties}, self.refused, self.field_metrics, self.partial)

    def without(self, errors: Mapping[str, str], catalog_name: Mapping[str, str]) -> FieldUpdate:
        """Return the update less the fields Jira's `errors` map refused, each as a refusal;
        `labels` in the map drops the label changes too."""
        gone = {fid for fid in errors if fid in self.fields}
        refused = tuple(Refusal(self.field_metrics.get(fid, fid), fid, catalog_name.get(fid, fid),
                                f"Jira refused it: {errors[fid]}") for fid in sorted(gone))
        drop_labels = "labels" in errors
        return FieldUpdate({k: v for k, v in self.fields.items() if k not in gone},
                           () if drop_labels else self.labels_add, () if drop_labels else self.labels_remove,
                           {m: c for m, c in self.changed.items()
                            if m not in {self.field_metrics.get(fid) for fid in gone}},
                           self.properties, self.refused + refused, self.field_metrics, self.partial)

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


def encode(info: FieldInfo, value: object) -> object:
    """Encode a value for a field of Jira's kind: select as {"value": ...}, numbers, text, dates."""
    if value is None:
        return None
    if info.is_select:
        option = str(value)
        if info.options and option not in info.options:
            allowed = ", ".join(info.options)
            raise FieldRefused(f"the select field '{info.name}' has no option '{option}' (it has: "
                               f"{allowed}); add the option in Jira (pmrollup check lists the values "
                               "pmrollup writes) or use a text field")
        return {"value": option}
    if info.is_number:
        number = as_number(value)
        if number is None:
            raise FieldRefused(f"the field '{info.name}' holds numbers, not {value!r}: point this output "
                               "at a text or select field")
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
                current_labels: Sequence[str] | None = None,
                leave_out: Collection[str] = (), names: Mapping[str, str] | None = None) -> FieldUpdate:
    """Return the update for metrics whose value differs from Jira's.

    A metric with no field (`names` gives the configured field name), a field of another type than the
    metric's, a value its field cannot take, or a field in `leave_out` (known to be refused on this
    issue) is left out, as a refusal."""
    fields: dict[str, Any] = {}
    changed: dict[str, tuple[object, object]] = {}
    refused: list[Refusal] = []
    by_field: dict[str, str] = {}
    for metric, value in values.items():
        info = targets.get(metric)
        if info is None:
            name = (names or {}).get(metric, metric)
            refused.append(Refusal(metric, "", name, f"no field named '{name}' in Jira: create it with "
                                   "`pmrollup fields create` or fix outputs in app.yaml"))
            continue
        old = current.get(metric)
        if same_value(value, old) or info.id in leave_out:
            continue
        if (mismatch := wrong_kind(metric, info)) is not None:
            refused.append(Refusal(metric, info.id, info.name, mismatch))
            continue
        try:
            fields[info.id] = encode(info, value)
        except FieldRefused as exc:
            refused.append(Refusal(metric, info.id, info.name, str(exc)))
            continue
        changed[metric] = (old, value)
        by_field[info.id] = metric
    have = set(current_labels) if current_labels is not None else None
    adds = tuple(dict.fromkeys(label for label in labels_add if have is None or label not in have))
    removes = tuple(dict.fromkeys(label for label in labels_remove if have is None or label in have))
    partial = frozenset(fid for fid, metric in by_field.items()
                        if options_lacking(metric, targets[metric].options or None))
    return FieldUpdate(fields, adds, removes, changed, refused=tuple(refused), field_metrics=by_field,
                       partial=partial)


def check_property_size(name: str, encoded: bytes) -> None:
    """Refuse a property value Jira would reject for size, before sending it."""
    if len(encoded) > PROPERTY_LIMIT_BYTES:
        raise ConnectorError(f"issue property '{name}' is {len(encoded)} bytes; Jira's limit is "
                             f"{PROPERTY_LIMIT_BYTES} bytes (32 KB)")
