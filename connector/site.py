"""The gateway's site calls: what `pmrollup check` asks (edit screens, permissions, samples, select
options) and what the setup commands change (custom fields, webhooks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector.base import GatewayBase
from connector.errors import ConnectorError
from connector.fieldmap import CUSTOM_TYPES
from connector.hierarchy import check_key
from connector.payload import dig, text

# The project permissions pmrollup's writes need: fields and labels, then comments.
WRITE_PERMISSIONS = ("EDIT_ISSUES", "ADD_COMMENTS")


class SiteCalls(GatewayBase):
    """Read how the site is set up for pmrollup, and set it up."""

    def edit_screen_fields(self, key: str) -> set[str]:
        """Return the ids of the fields on the issue's edit screen (what `editmeta` lists)."""
        fields = self.edit_meta(key).get("fields")
        return set(fields) if isinstance(fields, dict) else set()

    def my_permissions(self, key: str, names: Sequence[str] = WRITE_PERMISSIONS) -> dict[str, bool]:
        """Return, for each permission, whether pmrollup's account holds it on the issue."""
        key = check_key(key)
        wanted = ",".join(names)
        answer = self._call(f"GET mypermissions {key}", lambda: self._library().my_permissions(
            issueKey=key, permissions=wanted))
        return {name: dig(answer, "permissions", name, "havePermission") is True for name in names}

    def first_of_each_level(self) -> dict[str, str]:
        """Return one issue key per level pmrollup writes to (program, project), where the site has one."""
        found: dict[str, str] = {}
        for level, jql in (("program", self.jql.programs()), ("project", self.jql.all_projects())):
            key = text(dig(self.first_of(jql, ["issuetype"]), "key"))
            if key:
                found[level] = key
        return found

    def select_options(self, field_id: str, key: str | None = None) -> list[str] | None:
        """Return a select field's options: on Cloud from its field context (the option endpoint),
        on Data Center (which has none) from editmeta's allowed values of `key`, else of any issue
        that has the field on its screen; None when they cannot be read."""
        if self.cloud:
            context = self._first_context(field_id)
            if context is not None:
                found = self._call(f"GET field {field_id} options",
                                   lambda: self._jira.context_options(field_id, context))
                entries = found.get("values")
                if isinstance(entries, list):
                    return [str(o["value"]) for o in entries if isinstance(o, dict) and "value" in o
                            and not o.get("disabled")]
        if key is None:
            return None
        return allowed_values(self.edit_meta(key), field_id)

    def _first_context(self, field_id: str) -> str | None:
        """Return the id of a custom field's first context (Cloud keeps a select's options there)."""
        contexts = self._call(f"GET field {field_id} contexts", lambda: self._jira.field_contexts(field_id))
        values = contexts.get("values")
        first = values[0] if isinstance(values, list) and values else None
        return text(first.get("id")) if isinstance(first, dict) else None

    def create_field(self, name: str, kind: str, options: Sequence[str] = ()) -> str:
        """Create a custom field (number, text, date or select) and return its id."""
        if kind not in CUSTOM_TYPES:
            raise ConnectorError(f"cannot create a {kind!r} field: use {', '.join(CUSTOM_TYPES)}")
        custom_type, searcher = CUSTOM_TYPES[kind]
        body = {"name": name, "type": custom_type, "searcherKey": searcher}
        answer = self._call(f"POST field {name}", lambda: self._jira.create_field(body))
        field_id = text(answer.get("id"))
        if field_id is None:
            raise ConnectorError(f"Jira created the field '{name}' without saying its id: find it in Jira")
        if kind == "select" and options:
            self._add_options(field_id, options)
        self.refresh_fields()
        return field_id

    def _add_options(self, field_id: str, options: Sequence[str]) -> None:
        # Jira Cloud keeps options per field context; a new field has one global context.
        context = self._first_context(field_id)
        if context is None:
            raise ConnectorError(f"field {field_id} has no context to add options to: add them in Jira")
        self._call(f"POST field {field_id} options",
                   lambda: self._jira.add_context_options(field_id, context, options))

    def list_webhooks(self) -> list[dict[str, Any]]:
        """Return the site's registered webhooks (needs an administrator)."""
        found = self._call("GET webhooks", self._jira.webhooks)
        return [h for h in found if isinstance(h, dict)]

    def register_webhook(self, name: str, url: str, events: Sequence[str], jql: str | None = None,
                         secret: str | None = None) -> dict[str, Any]:
        """Register a webhook delivering `events` to `url`, signed with `secret` when given."""
        body: dict[str, Any] = {"name": name, "url": url, "events": list(events), "excludeBody": False}
        if jql:
            body["filters"] = {"issue-related-events-section": jql}
        if secret:
            body["secret"] = secret
        return self._call("POST webhook", lambda: self._jira.register_webhook(body))

    def delete_webhook(self, hook_id: object) -> None:
        """Remove one webhook registration."""
        self._call(f"DELETE webhook {hook_id}", lambda: self._jira.delete_webhook(hook_id))


def allowed_values(editmeta: object, field_id: str) -> list[str] | None:
    """Return the option values editmeta allows for a field; None when it lists none (off the screen)."""
    fields = editmeta.get("fields") if isinstance(editmeta, dict) else None
    allowed = dig(fields, field_id, "allowedValues")
    if not isinstance(allowed, list):
        return None
    return [str(o.get("value")) for o in allowed if isinstance(o, dict) and "value" in o]
