"""The gateway's writes: computed fields and labels, comments, issue properties."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection, Mapping, Sequence

from connector.base import GatewayBase
from connector.errors import ConnectorError, JiraAuthError, JiraBadRequest, JiraNotFound
from connector.eventlog import log_event
from connector.fieldmap import FieldInfo
from connector.hierarchy import check_key
from connector.history import Comment, to_comment
from connector.site import allowed_values
from connector.writes import FieldUpdate, Written, check_property_size, plan_update

COMMENT_PAGE = 100
OPTIONS_TTL_SECONDS = 3600.0  # a select's options are read again after this, so a fix in Jira is seen


class IssueWrites(GatewayBase):
    """Write only what changed, never post a comment twice, keep state in issue properties."""

    def output_targets(self) -> dict[str, FieldInfo]:
        """Return the field each configured output metric is written to."""
        catalog = self.field_catalog()
        found = {m: catalog.find(name) for m, name in self.config.outputs.items()}
        return {m: info for m, info in found.items() if info is not None}

    def write_fields(self, key: str, values: Mapping[str, object], current: Mapping[str, object],
                     labels_add: Sequence[str] = (), labels_remove: Sequence[str] = (),
                     current_labels: Sequence[str] | None = None,
                     properties: Mapping[str, object] | None = None,
                     spare_properties: Mapping[str, object] | None = None,
                     leave_out: Collection[str] = ()) -> Written:
        """Write the metrics whose value differs from Jira's, label changes and issue properties in
        one PUT; `spare_properties` go along only when that PUT is made anyway.

        A field the site cannot take is left out and returned as a refusal, so the rest lands: a
        value not among a select's options (known before any request), a field in `leave_out`
        (refused before), or one Jira's 400 names in its `errors` map (the edit is then made again
        without it). Jira's edit issue takes `properties` beside `fields` (IssueUpdateDetails), so a
        changed issue costs one request. With no field or label to change, each of `properties` is
        set on its own (PUT property): an edit that changes no field is not what the endpoint is for.
        """
        key = check_key(key)
        update = self._plan(key, values, current, labels_add, labels_remove, current_labels, leave_out)
        if update.empty:
            for name, value in (properties or {}).items():
                self.set_property(key, name, value)
            return Written({}, update.refused)
        update = update.with_properties({**(spare_properties or {}), **(properties or {})})
        names = {info.id: info.name for info in self.output_targets().values()}
        for _ in range(len(update.fields) + 1):
            try:
                self._put_issue(key, update)
                break
            except JiraBadRequest as exc:
                named_labels = "labels" in exc.errors and bool(update.labels_add or update.labels_remove)
                if not named_labels and not any(f in update.fields for f in exc.errors):
                    raise
                update = update.without(exc.errors, names)
                if update.empty:
                    for name, value in update.properties.items():
                        self.set_property(key, name, value)
                    break
        return update.written()

    def _plan(self, key: str, values: Mapping[str, object], current: Mapping[str, object],
              labels_add: Sequence[str], labels_remove: Sequence[str],
              current_labels: Sequence[str] | None, leave_out: Collection[str]) -> FieldUpdate:
        """Plan the edit, first learning the options of the select fields it writes (again each hour)."""
        targets = self.output_targets()
        update = plan_update(values, current, targets, labels_add, labels_remove, current_labels,
                             leave_out, self.config.outputs)
        now = time.monotonic()
        wanted = {*update.changed, *(r.metric for r in update.refused)}
        stale = [targets[m] for m in sorted(wanted) if m in targets and targets[m].is_select
                 and now - self._options_known.get(targets[m].id, -OPTIONS_TTL_SECONDS)
                 >= OPTIONS_TTL_SECONDS]
        if not stale:
            return update
        self._learn_options(key, stale, now)
        return plan_update(values, current, self.output_targets(), labels_add, labels_remove,
                           current_labels, leave_out, self.config.outputs)

    def _learn_options(self, key: str, infos: Sequence[FieldInfo], now: float) -> None:
        """Read the options of select fields from the issue's editmeta (one request for all)."""
        meta = self.edit_meta(key)
        for info in infos:
            self._options_known[info.id] = now
            options = allowed_values(meta, info.id)
            if options is not None:
                self.field_catalog().with_options(info.id, options)

    def _put_issue(self, key: str, update: FieldUpdate) -> None:
        body = update.body()

        def put(quiet: bool) -> None:
            self._jira.edit_issue(key, body, notify=not quiet)

        if not self._notify_off_allowed:
            self._call(f"PUT issue {key}", lambda: put(False))
            return
        try:
            self._call(f"PUT issue {key}", lambda: put(True))
        except JiraAuthError as exc:
            if exc.status != 403:
                raise
            log_event("jira.notify_users_refused", logging.WARNING, key=key,
                      detail="notifyUsers=false refused; writing with notifications")
            self._call(f"PUT issue {key}", lambda: put(False))
            self._notify_off_allowed = False

    # -- comments

    def _list_comments(self, key: str) -> list[Comment]:
        found: list[Comment] = []
        while True:
            page = self._library().comments(key, start_at=len(found), max_results=COMMENT_PAGE)
            found += [to_comment(c.raw) for c in page]
            if len(page) < COMMENT_PAGE:
                return found

    def comments(self, key: str) -> list[Comment]:
        """Return every comment on the issue, oldest first."""
        key = check_key(key)
        return self._call(f"GET comments {key}", lambda: self._list_comments(key))

    def add_comment(self, key: str, body: str, marker: str,
                    listed: list[Comment] | None = None) -> Comment | None:
        """Post a comment unless one already carries `marker`; None when skipped.

        `listed` is the issue's comments as the caller last read them (from `comments`): the first
        attempt trusts it instead of listing again, and the posted comment is added to it, so a
        caller posting several comments on one issue lists them once."""
        key = check_key(key)
        if not marker or marker not in body:
            raise ConnectorError("a pmrollup comment must carry its marker in its body")
        known = listed

        def post_once() -> Comment | None:
            nonlocal known
            # A retry lists again: a POST that timed out may have landed.
            seen = known if known is not None else self._list_comments(key)
            known = None
            if any(marker in c.body for c in seen):
                return None
            return to_comment(self._library().add_comment(key, body).raw)

        posted = self._call(f"POST comment {key}", post_once)
        if posted is not None and listed is not None:
            listed.append(posted)
        return posted

    def edit_comment(self, key: str, comment_id: str, body: str) -> None:
        """Replace a comment's body."""
        key = check_key(key)
        self._call(f"PUT comment {key}/{comment_id}", lambda: self._jira.edit_comment(key, comment_id, body))

    # -- issue properties

    def get_property(self, key: str, name: str) -> object | None:
        """Return an issue property's value, None when the issue has none of that name."""
        key = check_key(key)
        try:
            prop = self._call(f"GET property {key}/{name}", lambda: self._library().issue_property(key, name))
        except JiraNotFound:
            return None
        value: object = prop.raw.get("value")
        return value

    def set_property(self, key: str, name: str, value: object) -> None:
        """Store a JSON value as an issue property, refusing what exceeds Jira's 32 KB."""
        key = check_key(key)
        check_property_size(name, json.dumps(value).encode("utf-8"))
        self._call(f"PUT property {key}/{name}", lambda: self._library().add_issue_property(
            key, name, value))

    def delete_property(self, key: str, name: str) -> None:
        """Remove an issue property; one that is already gone is fine."""
        key = check_key(key)
        try:
            self._call(f"DELETE property {key}/{name}", lambda: self._jira.delete_issue_property(key, name))
        except JiraNotFound:
            return
