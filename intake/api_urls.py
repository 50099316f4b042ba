"""Routes under ``/api/v1/intake/``; each area's module declares its routes."""

from __future__ import annotations

from intake.api import cases, quality, scripts, setup, workspace

urlpatterns = [
    *workspace.urlpatterns,
    *scripts.urlpatterns,
    *cases.urlpatterns,
    *quality.urlpatterns,
    *setup.urlpatterns,
]
