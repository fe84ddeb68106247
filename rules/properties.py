"""The issue properties pmrollup keeps on Jira issues, each named once."""

STATE_KEY = "pmrollup.state"  # what pmrollup decided about an issue: findings, announcements, snapshot
BASELINE_KEY = "pmrollup.baseline"  # an epic's scope baseline: its items and points when it was taken
