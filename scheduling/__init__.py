"""Durable due work: everything scheduled, in any app, is a row that a dispatcher claims.

A platform facility below telephony (docs/architecture.md, "Scheduled work"): an app
schedules work with ``scheduling.services.schedule_work`` and registers the function that
does it in its own ``due_work.py``; Celery beat runs the dispatcher every 15 seconds."""
