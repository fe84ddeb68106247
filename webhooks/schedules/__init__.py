"""The schedules: the nightly sweep, the weekly digest, the catch-up and the first sweep."""
