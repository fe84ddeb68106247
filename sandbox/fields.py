"""Field definitions as Jira lists them, and conversion of field values to and from REST JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from sandbox.model import FieldDef, Option, as_date
from sandbox.store import Store, StoreError

PLUGIN = "com.atlassian.jira.plugin.system.customfieldtypes"
# kind -> (schema type, schema items, custom type key), as Jira Cloud's GET /field shows them.
CUSTOM_SCHEMAS: dict[str, tuple[str, str | None, str]] = {
    "number": ("number", None, f"{PLUGIN}:float"),
    "text": ("string", None, f"{PLUGIN}:textfield"),
    "date": ("date", None, f"{PLUGIN}:datepicker"),
    "select": ("option", None, f"{PLUGIN}:select"),
    "labels": ("array", "string", f"{PLUGIN}:labels"),
    "epiclink": ("any", None, "com.pyxis.greenhopper.jira:gh-epic-link"),
    "parentlink": ("any", None, "com.atlassian.jpo:jpo-custom-field-parent"),
}
KIND_OF_CUSTOM_TYPE = {custom: kind for kind, (_, _, custom) in CUSTOM_SCHEMAS.items()}
SEED_KINDS = ("number", "text", "date", "select", "labels")

# id, name, clause names, schema type (None: no schema), items, orderable, searchable
SYSTEM_FIELDS: tuple[tuple[str, str, tuple[str, ...], str | None, str | None, bool, bool], ...] = (
    ("issuekey", "Key", ("id", "issue", "issuekey", "key"), None, None, False, False),
    ("summary", "Summary", ("summary",), "string", None, True, True),
    ("issuetype", "Issue Type", ("issuetype", "type"), "issuetype", None, True, True),
    ("status", "Status", ("status",), "status", None, False, True),
    ("statusCategory", "Status Category", ("statusCategory",), None, None, False, True),
    ("project", "Project", ("project",), "project", None, False, True),
    ("parent", "Parent", ("parent",), None, None, False, False),
    ("description", "Description", ("description",), "string", None, True, True),
    ("labels", "Labels", ("labels",), "array", "string", True, True),
    ("duedate", "Due date", ("due", "duedate"), "date", None, True, True),
    ("timespent", "Time Spent", ("timespent",), "number", None, False, False),
    ("created", "Created", ("created", "createdDate"), "datetime", None, False, True),
    ("updated", "Updated", ("updated", "updatedDate"), "datetime", None, False, True),
    ("issuelinks", "Linked Issues", ("issueLink",), "array", "issuelinks", True, True),
    ("comment", "Comment", ("comment",), "comments-page", None, True, True),
    ("resolution", "Resolution", ("resolution",), "resolution", None, True, True),
    ("resolutiondate", "Resolved", ("resolutiondate", "resolved"), "datetime", None, False, True),
    ("statuscategorychangedate", "Status Category Changed", ("statusCategoryChangedDate",), "datetime", None,
     False, True),
)
SYSTEM_KINDS = {"duedate": "date", "labels": "labels", "timespent": "number", "summary": "text"}
EDITABLE_SYSTEM = ("summary", "description", "labels", "duedate", "parent")


def add_system_fields(store: Store) -> None:
    """Register Jira's system fields that pmrollup reads or writes."""
    for fid, name, *_ in SYSTEM_FIELDS:
        store.add_field(fid, name, SYSTEM_KINDS.get(fid, "system"), False)


def clause_names(store: Store, definition: FieldDef) -> list[str]:
    """Return the JQL names of a field, as `GET /field` lists them."""
    if definition.custom:
        return [f"cf[{definition.number}]", definition.name]
    for fid, _, names, *_ in SYSTEM_FIELDS:
        if fid == definition.id:
            return list(names)
    return []


def schema_of(definition: FieldDef) -> dict[str, Any] | None:
    """Return the `schema` object Jira gives a field."""
    if definition.custom:
        kind_type, items, custom = CUSTOM_SCHEMAS[definition.kind]
        schema: dict[str, Any] = {"type": kind_type, "custom": custom, "customId": definition.number}
        if items:
            schema["items"] = items
        return schema
    for fid, _, _, system_type, system_items, *_ in SYSTEM_FIELDS:
        if fid == definition.id and system_type:
            schema = {"type": system_type, "system": fid}
            if system_items:
                schema["items"] = system_items
            return schema
    return None


def field_json(store: Store, definition: FieldDef) -> dict[str, Any]:
    """Render one entry of `GET /rest/api/{2,3}/field`."""
    orderable, searchable = True, True
    for fid, _, _, _, _, sys_orderable, sys_searchable in SYSTEM_FIELDS:
        if fid == definition.id:
            orderable, searchable = sys_orderable, sys_searchable
    entry: dict[str, Any] = {
        "id": definition.id, "key": definition.id, "name": definition.name, "custom": definition.custom,
        "orderable": orderable, "navigable": True, "searchable": searchable,
        "clauseNames": clause_names(store, definition),
    }
    schema = schema_of(definition)
    if schema:
        entry["schema"] = schema
    return entry


def infer_kind(value: Any) -> str:
    """Guess the kind of an undeclared custom field from its first seed value."""
    if isinstance(value, bool):
        return "text"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list):
        return "labels"
    try:
        date.fromisoformat(str(value))
        return "date"
    except ValueError:
        return "text"


def coerce(definition: FieldDef, value: Any) -> Any:
    """Turn a plain value (seed or sandbox edit) into the stored form, or raise ValueError."""
    if value is None:
        return None
    kind = definition.kind
    if kind == "number":
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError
            number = float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
        return int(number) if number.is_integer() and definition.id == "timespent" else number
    if kind == "date":
        try:
            return as_date(value)
        except ValueError:
            raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None
    if kind == "labels":
        if not isinstance(value, list) or not all(isinstance(v, str) and " " not in v for v in value):
            raise ValueError(f"expected a list of labels without spaces, got {value!r}")
        return list(value)
    if kind == "select":
        if str(value) not in definition.choices():
            raise ValueError(f"expected one of {definition.choices()}, got {value!r}")
        return str(value)
    return str(value)


def from_rest(store: Store, definition: FieldDef, raw: Any) -> Any:
    """Turn a REST `fields` value into the stored form, or raise StoreError with Jira's errors map."""
    if definition.kind in ("epiclink", "parentlink") or definition.id == "parent":
        key = (raw.get("key") or raw.get("id")) if isinstance(raw, dict) else raw
        if not key:
            return None
        found = store.find(str(key)) if isinstance(key, str | int) and not isinstance(key, bool) else None
        if found is None:
            raise StoreError("", 400, {definition.id: "Could not find issue by id or key."})
        return found.key
    message = rest_problem(store, definition, raw)
    if message is not None:
        raise StoreError("", 400, {definition.id: message})
    if definition.kind == "select" and isinstance(raw, dict):
        option = (definition.option(str(raw["value"])) if "value" in raw
                  else definition.option_by_id(str(raw["id"])))
        return option.value if option else None
    return coerce(definition, raw)


def rest_problem(store: Store, definition: FieldDef, raw: Any) -> str | None:
    """Say what is wrong with a REST value for a field, in Jira's words, or None when it is fine."""
    if raw is None:
        return None
    kind = definition.kind
    if kind == "number":
        is_number = isinstance(raw, int | float) and not isinstance(raw, bool)
        return None if is_number else "Operation value must be a number"
    if kind == "date":
        try:
            if not isinstance(raw, str) or len(raw) != 10:
                raise ValueError
            as_date(raw)
        except ValueError:
            return f"Error parsing date string: {raw}"
        return None
    if kind == "labels":
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            return "Operation value must be an array of strings"
        spaced = [v for v in raw if " " in v or not v]
        return f"The label '{spaced[0]}' contains spaces which is invalid." if spaced else None
    if kind == "select":
        return _select_problem(store, definition, raw)
    return None if isinstance(raw, str) else "Operation value must be a string"


def _select_problem(store: Store, definition: FieldDef, raw: Any) -> str | None:
    cloud = store.flavor == "cloud"
    # Cloud answers every bad option alike; Data Center names what it could not find.
    invalid = f"Specify a valid 'id' or 'name' for {definition.name}"
    if not isinstance(raw, dict) or not isinstance(raw.get("value", raw.get("id")), str | int):
        return invalid if cloud else "Could not find valid 'id' or 'value' in the Parent Option object."
    if "value" in raw:
        option = definition.option(str(raw["value"]))
        wrong = f"Option value '{raw['value']}' is not valid"
    else:
        option = definition.option_by_id(str(raw["id"]))
        wrong = f"Option id '{raw['id']}' is not valid"
    if option is None or option.disabled:
        return invalid if cloud else wrong
    return None


def to_rest(store: Store, definition: FieldDef, value: Any, base: str) -> Any:
    """Render a stored custom or simple system value as Jira's REST JSON."""
    if value is None:
        return [] if definition.kind == "labels" else None
    if definition.kind == "date":
        return value.isoformat()
    if definition.kind == "select":
        option = definition.option(value)
        if option is None:
            return None
        return option_json(option, base)
    return value


def option_json(option: Option, base: str) -> dict[str, Any]:
    """Render an option as issues and editmeta show it."""
    return {"self": f"{base}/rest/api/2/customFieldOption/{option.id}", "value": option.value,
            "id": option.id}


def to_string(definition: FieldDef, value: Any) -> str | None:
    """Render a value as the changelog's `fromString`/`toString`."""
    if value is None:
        return None
    if definition.kind == "labels":
        return " ".join(value)
    if definition.kind == "number" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
