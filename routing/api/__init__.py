"""The routing REST API (``/api/v1/routing/``): drafts, publishing, versions, preview,
coverage, emergency closures, presence and agents' dial targets.

Thin views on the access kit's ``TenantAPIView``: objects named in the path are looked up in
the caller's organisation before the role is checked (another organisation's id is a 404 for
every caller); input is parsed by a serializer; one service call does the work."""

from __future__ import annotations

from routing.api.base import (
    LOCATION_ID,
    MANAGE,
    MEMBERSHIP_ID,
    PRESENCE,
    VERSION_ID,
    VIEW,
    RoutingAPIView,
)
from routing.api.people import (
    AgentProfileListView,
    AgentProfileView,
    CallbackRequestListView,
    NotificationListView,
    PresenceDetailView,
    PresenceListView,
)
from routing.api.rules import (
    CoverageQuerySerializer,
    CoverageView,
    DraftView,
    EmergencyView,
    LocationRoutingListView,
    PreviewView,
    PublishView,
    VersionDetailView,
    VersionListView,
    VersionRestoreView,
)

__all__ = [
    "LOCATION_ID",
    "MANAGE",
    "MEMBERSHIP_ID",
    "PRESENCE",
    "VERSION_ID",
    "VIEW",
    "AgentProfileListView",
    "AgentProfileView",
    "CallbackRequestListView",
    "CoverageQuerySerializer",
    "CoverageView",
    "DraftView",
    "EmergencyView",
    "LocationRoutingListView",
    "NotificationListView",
    "PresenceDetailView",
    "PresenceListView",
    "PreviewView",
    "PublishView",
    "RoutingAPIView",
    "VersionDetailView",
    "VersionListView",
    "VersionRestoreView",
]
