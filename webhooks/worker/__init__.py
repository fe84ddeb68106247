"""The worker: routes stored deliveries into targets and recomputes the due ones."""
