from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        # Registers the <id:…> path converter once, before any URLconf is loaded.
        from tenancy.access import converters  # noqa: F401

        # Every app's capabilities.py grants its capabilities to roles (tenancy.roles), so
        # the table is whole before the first request, whichever views were imported.
        autodiscover_modules("capabilities")
