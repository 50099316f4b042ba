"""Browser pages. Everything under ``o/<org_slug>/`` runs inside that organisation's tenant
context (``TenantMiddleware``); each view declares its access with ``tenant_page``. Object
ids use the kit's ``<id:…>`` converter (``tenancy.access.converters``)."""

from django.urls import include, path

from tenancy import views

organization_patterns = [
    path("", views.org_home, name="org-home"),
    path("members/", views.members, name="members"),
    path("members/invite/", views.member_invite, name="member-invite"),
    path("members/<id:membership_id>/role/", views.member_role, name="member-role"),
    path("members/<id:membership_id>/active/", views.member_active, name="member-active"),
    path("locations/", views.locations, name="locations"),
    path("locations/new/", views.location_create, name="location-create"),
    path("locations/<id:location_id>/edit/", views.location_edit, name="location-edit"),
    path("teams/", views.teams, name="teams"),
    path("teams/new/", views.team_create, name="team-create"),
    path("teams/<id:team_id>/edit/", views.team_edit, name="team-edit"),
    path("teams/<id:team_id>/members/", views.team_members, name="team-members"),
    path("api-keys/", views.api_keys, name="api-keys"),
    path("api-keys/new/", views.api_key_create, name="api-key-create"),
    path("api-keys/<id:key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"),
    path("settings/", views.org_settings, name="org-settings"),
    path("audit/", views.audit, name="audit"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("o/<slug:org_slug>/", include(organization_patterns)),
]
