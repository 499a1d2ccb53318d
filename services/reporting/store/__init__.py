"""Reporting's stored data (ADR 12): one module per concern."""
