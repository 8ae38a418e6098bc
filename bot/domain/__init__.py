"""Platform-neutral rules: the handoff lifecycle and who may do what. No Slack, no FastAPI."""
