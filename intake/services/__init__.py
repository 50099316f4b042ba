"""Intake services: the only code that writes intake rows, one module per area."""
