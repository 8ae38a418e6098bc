"""Repositories: every query the application makes, one module per table family."""
