"""Intake pages, one module per area; each declares its own ``urlpatterns``."""
