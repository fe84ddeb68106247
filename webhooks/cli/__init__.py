"""The command line: `pmrollup` and its subcommands (webhooks.cli.main), including `serve`."""
