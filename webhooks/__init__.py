"""The Flask service, durable inbox, worker, schedule and the `pmrollup` command line."""
