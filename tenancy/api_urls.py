"""Routes under ``/api/v1/``.

The last route answers every path that names no endpoint with a 404 in the API's error shape.
It must stay last under ``/api/v1/``: other apps' API routes are included in the root URLconf
before this module (``path("api/v1/routing/", include("routing.api_urls"))``) or here above
the fallback, never after it (tests/tenancy/test_api.py checks that).
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from tenancy import api
from tenancy.access.errors import not_found

urlpatterns: list[URLPattern | URLResolver] = [
    path("organization/", api.OrganizationView.as_view(), name="api-organization"),
    path("locations/", api.LocationListView.as_view(), name="api-location-list"),
    path("locations/<id:pk>/", api.LocationDetailView.as_view(), name="api-location-detail"),
    path("members/", api.MemberListView.as_view(), name="api-member-list"),
    path("members/<id:pk>/", api.MemberDetailView.as_view(), name="api-member-detail"),
    path("teams/", api.TeamListView.as_view(), name="api-team-list"),
    path("teams/<id:pk>/", api.TeamDetailView.as_view(), name="api-team-detail"),
    # Nothing below this line: it answers every path not matched above, control characters
    # and newlines included (``.`` and ``$`` would let a path with a newline fall through
    # to the HTML 404 page).
    re_path(r"^(?P<path>[\s\S]*)\Z", not_found, name="api-not-found"),
]
