"""A stand-in Jira served over real HTTP, for the demo and the tests."""
