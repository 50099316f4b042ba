"""Platform tasks with no domain of their own."""

from celery import shared_task


@shared_task(name="platform.ping", time_limit=10, soft_time_limit=5)
def ping(payload: str) -> str:
    """Round trip through the broker and a worker: used by /readyz-style checks and tests."""
    return f"pong:{payload}"
