"""Intake API, one module per area; each declares its own ``urlpatterns``."""
