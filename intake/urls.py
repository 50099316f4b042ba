"""Intake pages, under ``o/<org_slug>/intake/``; each area's module declares its routes."""

from __future__ import annotations

from intake.views import cases, quality, scripts, setup, workspace

urlpatterns = [
    *workspace.urlpatterns,
    *scripts.urlpatterns,
    *cases.urlpatterns,
    *quality.urlpatterns,
    *setup.urlpatterns,
]
