"""All talk with Jira, through the `jira` library."""
