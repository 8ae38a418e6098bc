"""The HTTP surface: Slack's Request URL, health, and (later) the REST API and metrics."""
