"""Scheduled-work pages, under ``o/<org_slug>/scheduled-work/``."""

from __future__ import annotations

from django.urls import path

from scheduling import views

urlpatterns = [
    path("", views.scheduled_work, name="scheduled-work"),
    path("<id:work_id>/replay/", views.replay, name="scheduled-work-replay"),
]
