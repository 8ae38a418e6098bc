"""Persistence: models, the engine, the unit of work and the repositories (all SQL lives here)."""
