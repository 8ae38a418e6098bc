"""The Slack adapter: Bolt listeners, parsers, Block Kit renderers, and the Slack Notifier."""
