"""The web side: `POST /webhooks/jira` stores deliveries; /healthz, /readyz, /metrics."""
