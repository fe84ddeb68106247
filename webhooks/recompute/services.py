"""Build the long-lived parts a command or the service needs from one AppConfig."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from connector.client import Credentials, JiraGateway
from connector.errors import ConnectorError
from rules.config import AppConfig
from rules.engine import RuleError, RuleSet
from webhooks.recompute.recomputer import Recomputer, Write
from webhooks.settings.clock import Clock, clock_from_environ
from webhooks.settings.rulefiles import load_rules, rule_paths
from webhooks.store.inbox import AuditEntry, Inbox


def gateway_for(config: AppConfig, environ: Mapping[str, str] | None = None) -> JiraGateway:
    """Return a gateway to the Jira named by JIRA_URL, JIRA_USER and JIRA_TOKEN."""
    credentials = Credentials.from_env(os.environ if environ is None else environ)
    return JiraGateway(config, credentials)


def rules_for(config: AppConfig) -> RuleSet:
    """Load the configured rule files; a bad file raises RuleError naming file, line and rule."""
    return load_rules(rule_paths(config))


def audit_into(store: Inbox, clock: float | None = None):  # type: ignore[no-untyped-def]
    """Return a callback that appends pmrollup's Jira writes to the store's audit log."""
    import time

    def append(writes: Sequence[Write]) -> None:
        at = clock if clock is not None else time.time()
        store.append_audit([
            AuditEntry(at=at, issue_key=w.issue_key, field=w.field,
                       old=None if w.old is None else str(w.old),
                       new=None if w.new is None else str(w.new), rule=w.rule)
            for w in writes
        ])

    return append


def recomputer_for(config: AppConfig, gateway: JiraGateway | None = None, store: Inbox | None = None,
                   rules: RuleSet | None = None, clock: Clock | None = None) -> Recomputer:
    """Return a Recomputer over the configured Jira, rules and audit log, on the clock the
    environment sets (PMROLLUP_TODAY, PMROLLUP_NOW) unless given one."""
    return Recomputer(
        config=config,
        gateway=gateway or gateway_for(config),
        rules=rules or rules_for(config),
        clock=clock or clock_from_environ(config.timezone),
        audit=audit_into(store) if store is not None else None,
        site=store,
    )


__all__ = ["ConnectorError", "RuleError", "audit_into", "gateway_for", "recomputer_for", "rules_for"]
