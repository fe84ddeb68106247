"""The durable store: one SQLite file holding the inbox, targets, audit, runs, epic map, site problems."""
