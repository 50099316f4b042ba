"""What routing's API views declare: their capabilities, the objects their paths name, and
those paths' OpenAPI parameters. The access checks themselves are the kit's
(``tenancy.access.api.TenantAPIView``)."""

from __future__ import annotations

from django.db.models import QuerySet

from routing.capabilities import RoutingCapability
from routing.models import RoutingVersion
from tenancy.access.api import TenantAPIView
from tenancy.access.schema import id_parameter
from tenancy.models import Location, Membership

VIEW = RoutingCapability.VIEW_ROUTING

MANAGE = RoutingCapability.MANAGE_ROUTING

PRESENCE = RoutingCapability.SET_OWN_PRESENCE

LOCATION_ID = id_parameter("location_id", "location")

VERSION_ID = id_parameter("version_id", "routing version")

MEMBERSHIP_ID = id_parameter("membership_id", "member")


def _active_members() -> QuerySet[Membership]:
    # Routing rings active members only: a deactivated member's presence and dial target
    # are not routing's to read or set.
    return Membership.objects.filter(is_active=True)


# For url_objects: each path id is found in the tenant before the role is checked, and the
# object is set on the view under its name (self.location, self.version, self.membership).
LOCATION = {"location_id": Location}
VERSION = {"version_id": RoutingVersion}
MEMBER = {"membership_id": _active_members}


class RoutingAPIView(TenantAPIView):
    # Declarations only. A method a view names no capability for (OPTIONS, or one it does
    # not answer) needs routing's read capability, so a role outside routing learns nothing
    # of routing's endpoints, not even their methods.

    required_capability = VIEW
