"""Serving gold: the questions Wearhouse answers, shared by the CLI, the API and the dashboard."""
