"""What pmrollup reads from the disk and the environment, handed to `rules/` as text, values and a clock."""
