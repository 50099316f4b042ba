"""Routes under ``/api/v1/routing/``; object ids use the access kit's ``<id:…>`` converter."""

from __future__ import annotations

from django.urls import URLPattern, path

from routing import api

location = "locations/<id:location_id>/"

urlpatterns: list[URLPattern] = [
    path("locations/", api.LocationRoutingListView.as_view(), name="api-routing-locations"),
    path(location + "draft/", api.DraftView.as_view(), name="api-routing-draft"),
    path(location + "publish/", api.PublishView.as_view(), name="api-routing-publish"),
    path(location + "versions/", api.VersionListView.as_view(), name="api-routing-versions"),
    path(location + "preview/", api.PreviewView.as_view(), name="api-routing-preview"),
    path(location + "coverage/", api.CoverageView.as_view(), name="api-routing-coverage"),
    path(location + "emergency/", api.EmergencyView.as_view(), name="api-routing-emergency"),
    path(
        "versions/<id:version_id>/",
        api.VersionDetailView.as_view(),
        name="api-routing-version",
    ),
    path(
        "versions/<id:version_id>/restore/",
        api.VersionRestoreView.as_view(),
        name="api-routing-version-restore",
    ),
    path("presence/", api.PresenceListView.as_view(), name="api-routing-presence"),
    path(
        "presence/<id:membership_id>/",
        api.PresenceDetailView.as_view(),
        name="api-routing-member-presence",
    ),
    path("agents/", api.AgentProfileListView.as_view(), name="api-routing-agents"),
    path(
        "agents/<id:membership_id>/",
        api.AgentProfileView.as_view(),
        name="api-routing-agent",
    ),
    path("notifications/", api.NotificationListView.as_view(), name="api-routing-notifications"),
    path("callbacks/", api.CallbackRequestListView.as_view(), name="api-routing-callbacks"),
]
