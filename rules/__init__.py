"""Pure rollup maths, the rule engine and the default rule files admins edit."""
