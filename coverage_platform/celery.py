"""The Celery application. Reliability settings live in settings.py (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coverage_platform.settings")

app = Celery("coverage_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
