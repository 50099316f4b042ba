"""Routing pages, under ``o/<org_slug>/routing/``; object ids use the access kit's ``<id:…>``
converter."""

from __future__ import annotations

from django.urls import path

from routing import views

location = "locations/<id:location_id>/"

urlpatterns = [
    path("", views.home, name="routing"),
    path("presence/", views.presence, name="routing-presence"),
    path("agents/", views.agents, name="routing-agents"),
    path("agents/<id:membership_id>/", views.agent_edit, name="routing-agent-edit"),
    path("notifications/", views.notifications, name="routing-notifications"),
    path("notifications/read/", views.notifications_read, name="routing-notifications-read"),
    path(location, views.location_overview, name="routing-location"),
    path(location + "schedule/", views.schedule, name="routing-schedule"),
    path(location + "schedule/periods/", views.period_add, name="routing-period-add"),
    path(location + "schedule/breaks/", views.break_add, name="routing-break-add"),
    path(
        location + "schedule/periods/<int:index>/delete/",
        views.period_delete,
        name="routing-period-delete",
    ),
    path(location + "schedule/time-zone/", views.time_zone, name="routing-time-zone"),
    path(location + "tiers/", views.tiers, name="routing-tiers"),
    path(location + "tiers/add/", views.tier_add, name="routing-tier-add"),
    path(location + "tiers/<int:index>/delete/", views.tier_delete, name="routing-tier-delete"),
    path(location + "tiers/<int:index>/move/", views.tier_move, name="routing-tier-move"),
    path(location + "overflow/", views.overflow, name="routing-overflow"),
    path(location + "after-hours/", views.after_hours, name="routing-after-hours"),
    path(location + "holidays/", views.holidays, name="routing-holidays"),
    path(location + "holidays/dates/", views.closed_date_add, name="routing-closed-date-add"),
    path(
        location + "holidays/dates/<int:index>/delete/",
        views.closed_date_delete,
        name="routing-closed-date-delete",
    ),
    path(location + "alerts/", views.alerts, name="routing-alerts"),
    path(location + "emergency/", views.emergency, name="routing-emergency"),
    path(location + "emergency/end/", views.emergency_end, name="routing-emergency-end"),
    path(location + "preview/", views.preview, name="routing-preview"),
    path(location + "publish/", views.publish, name="routing-publish"),
    path(location + "discard/", views.discard, name="routing-discard"),
    path(location + "coverage/", views.coverage, name="routing-coverage"),
    path(location + "versions/", views.versions, name="routing-versions"),
    path("versions/<id:version_id>/", views.version_detail, name="routing-version"),
    path(
        "versions/<id:version_id>/restore/",
        views.version_restore,
        name="routing-version-restore",
    ),
]
