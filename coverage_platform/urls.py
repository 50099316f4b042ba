from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from coverage_platform import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("tenancy.auth_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/routing/", include("routing.api_urls")),
    path("api/v1/intake/", include("intake.api_urls")),
    path("api/v1/", include("tenancy.api_urls")),
    path("twilio/", include("telephony.urls")),
    path("handoffs/ack/", include("intake.views.public")),
    path("o/<slug:org_slug>/routing/", include("routing.urls")),
    path("o/<slug:org_slug>/intake/", include("intake.urls")),
    path("o/<slug:org_slug>/scheduled-work/", include("scheduling.urls")),
    path("", include("tenancy.urls")),
]
