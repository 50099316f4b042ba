from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduled work"

    def ready(self) -> None:
        # Each app registers the kinds of work it does in its due_work.py; collecting them
        # here makes the registry whole in every process (web, worker, beat) before the
        # first row is scheduled or run.
        autodiscover_modules("due_work")
