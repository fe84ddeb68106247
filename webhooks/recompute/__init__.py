"""A recompute: read from Jira, roll up, judge with the rules, write back what changed."""
