"""Deployment files (docs/operations.md); expressions.py lists their PromQL."""
