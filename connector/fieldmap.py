"""Jira's field list, looked up by display name (as admins write it) or by id."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from rules.config import OUTPUT_KINDS, AppConfig
from rules.metrics import SELECT_VALUES

# Custom field types pmrollup creates, as Jira names them (POST /rest/api/2/field).
CUSTOM_TYPES = {
    "number": ("com.atlassian.jira.plugin.system.customfieldtypes:float",
               "com.atlassian.jira.plugin.system.customfieldtypes:exactnumber"),
    "text": ("com.atlassian.jira.plugin.system.customfieldtypes:textfield",
             "com.atlassian.jira.plugin.system.customfieldtypes:textsearcher"),
    "select": ("com.atlassian.jira.plugin.system.customfieldtypes:select",
               "com.atlassian.jira.plugin.system.customfieldtypes:multiselectsearcher"),
    "date": ("com.atlassian.jira.plugin.system.customfieldtypes:datepicker",
             "com.atlassian.jira.plugin.system.customfieldtypes:daterange"),
}
# The schema types (GET /field) of the Jira fields that can hold each kind of output.
HOLDS: dict[str, frozenset[str]] = {
    "number": frozenset({"number"}),
    "select": frozenset({"option", "string"}),
    "text": frozenset({"string"}),
    "date": frozenset({"date", "datetime", "string"}),
}



def options_lacking(metric: str, options: Sequence[str] | None) -> list[str]:
    """Return the values pmrollup writes to the output `metric` that a select offering `options` lacks
    (none when its options are unknown, or the output is not one pmrollup writes to selects)."""
    if options is None:
        return []
    return [value for value in SELECT_VALUES.get(metric, ()) if value not in options]


def wrong_kind(metric: str, info: FieldInfo) -> str | None:
    """Say why the field `info` cannot hold the output `metric` (a field of another type), else None."""
    kinds = HOLDS.get(OUTPUT_KINDS.get(metric, ""), frozenset())
    if not kinds or info.kind in kinds:
        return None
    wanted = " or ".join(sorted(kinds))
    return f"'{info.name}' holds {info.kind}: point outputs.{metric} at a field of type {wanted}"


BASE_FIELDS = ("summary", "status", "issuetype", "project", "parent", "labels", "issuelinks")
# When a work item was created and finished: the forecasts' throughput is read from these.
ITEM_DATES = ("created", "resolutiondate", "statuscategorychangedate")


@dataclass(frozen=True)
class FieldInfo:
    """One Jira field: its id, display name and the kind of value it holds."""

    id: str
    name: str
    kind: str
    custom: bool = False
    clause_names: tuple[str, ...] = ()
    items: str | None = None
    options: tuple[str, ...] = ()

    @property
    def is_select(self) -> bool:
        return self.kind == "option"

    @property
    def is_number(self) -> bool:
        return self.kind == "number"


def field_from_json(raw: Mapping[str, object]) -> FieldInfo | None:
    """Build a FieldInfo from one entry of `GET /field`; None when it has no id."""
    field_id = raw.get("id")
    if not isinstance(field_id, str) or not field_id:
        return None
    schema = raw.get("schema") if isinstance(raw.get("schema"), dict) else {}
    assert isinstance(schema, dict)
    clauses = raw.get("clauseNames")
    name = raw.get("name")
    return FieldInfo(
        id=field_id,
        name=name if isinstance(name, str) and name else field_id,
        kind=str(schema.get("type") or "any"),
        custom=bool(raw.get("custom")),
        clause_names=tuple(c for c in clauses if isinstance(c, str)) if isinstance(clauses, list) else (),
        items=schema.get("items") if isinstance(schema.get("items"), str) else None,
    )


class FieldCatalog:
    """Every field of the site, found by display name (case-insensitive), clause name or id."""

    def __init__(self, fields: Iterable[FieldInfo]) -> None:
        self._by_id: dict[str, FieldInfo] = {}
        self._by_name: dict[str, FieldInfo] = {}
        self._duplicates: set[str] = set()
        for info in fields:
            self._by_id[info.id] = info
            lowered = info.name.casefold()
            if lowered in self._by_name and self._by_name[lowered].id != info.id:
                self._duplicates.add(lowered)
            else:
                self._by_name[lowered] = info
        self._by_clause = {c.casefold(): f for f in self._by_id.values() for c in f.clause_names}

    @classmethod
    def from_json(cls, raw: object) -> FieldCatalog:
        """Build the catalog from the body of `GET /field`."""
        entries = raw if isinstance(raw, list) else []
        found = (field_from_json(e) for e in entries if isinstance(e, dict))
        return cls(f for f in found if f is not None)

    def __iter__(self) -> Iterator[FieldInfo]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def find(self, name_or_id: str) -> FieldInfo | None:
        """Return the field with this display name, id or JQL clause name, if any."""
        if name_or_id in self._by_id:
            return self._by_id[name_or_id]
        lowered = name_or_id.strip().casefold()
        return self._by_name.get(lowered) or self._by_clause.get(lowered)

    def id_for(self, name_or_id: str) -> str | None:
        """Return the id of a field named by display name or id, None when the site has none."""
        found = self.find(name_or_id)
        return found.id if found else None

    def is_ambiguous(self, name: str) -> bool:
        """Say whether several fields share this display name (the first one is used)."""
        return name.strip().casefold() in self._duplicates

    def missing(self, names: Iterable[str]) -> list[str]:
        """Return the names that resolve to no field."""
        return [n for n in names if self.find(n) is None]

    def with_options(self, field_id: str, options: Iterable[str]) -> None:
        """Remember the allowed options of a select field once they are known."""
        info = self._by_id.get(field_id)
        if info is None:
            return
        updated = FieldInfo(info.id, info.name, info.kind, info.custom, info.clause_names,
                            info.items, tuple(options))
        self._by_id[field_id] = updated
        lowered = info.name.casefold()
        if self._by_name.get(lowered, updated).id == field_id:
            self._by_name[lowered] = updated
        for clause in info.clause_names:
            self._by_clause[clause.casefold()] = updated

    def clause_map(self) -> dict[str, str]:
        """Return {clause name: id}, the map the `jira` library keeps for JQL field names."""
        return {c: f.id for f in self._by_id.values() for c in f.clause_names}


@dataclass(frozen=True)
class FieldIds:
    """The field ids behind the names in app.yaml, resolved once against the site's catalog."""

    story_points: str | None = None
    budget: str | None = None
    cost: str | None = None
    start_date: str | None = None
    due_date: str | None = "duedate"
    time_spent: str = "timespent"
    epic_link: str | None = None
    parent_link: str | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(cls, config: AppConfig, catalog: FieldCatalog) -> FieldIds:
        """Look every configured field name up in the catalog; unknown names stay None."""
        names = config.fields
        datacenter = config.jira.flavor == "datacenter"
        outputs = {metric: catalog.id_for(name) for metric, name in config.outputs.items()}
        return cls(
            story_points=catalog.id_for(names.story_points),
            budget=catalog.id_for(names.budget),
            cost=catalog.id_for(names.cost),
            start_date=catalog.id_for(names.start_date),
            due_date=catalog.id_for(names.due_date) or "duedate",
            time_spent=catalog.id_for("Time Spent") or "timespent",
            epic_link=catalog.id_for(config.hierarchy.epic_link_field) if datacenter else None,
            parent_link=catalog.id_for(config.hierarchy.parent_link_field) if datacenter else None,
            outputs={m: i for m, i in outputs.items() if i},
        )

    def _present(self, *ids: str | None) -> list[str]:
        return [i for i in ids if i]

    def item_fields(self) -> list[str]:
        """Fields a work item needs."""
        return list(BASE_FIELDS) + list(ITEM_DATES) + self._present(
            self.story_points, self.cost, self.time_spent, self.start_date, self.due_date, self.epic_link)

    def project_fields(self) -> list[str]:
        """Fields a project (epic) needs, its written outputs included."""
        own = self._present(self.budget, self.cost, self.time_spent, self.start_date, self.due_date,
                            self.parent_link)
        return list(BASE_FIELDS) + own + list(self.outputs.values())

    def program_fields(self) -> list[str]:
        """Fields a program (initiative) needs."""
        return list(BASE_FIELDS) + self._present(self.budget, self.start_date, self.due_date) + list(
            self.outputs.values())

    def blocker_fields(self) -> list[str]:
        """Fields the far end of a dependency needs."""
        return ["status", "issuetype", "project", "parent", *self._present(self.due_date, self.epic_link)]
