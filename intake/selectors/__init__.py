"""Intake reads for pages and the API, one module per area."""
