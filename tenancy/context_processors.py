from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def tenant(request: HttpRequest) -> dict[str, Any]:
    """The resolved tenant (organisation, role) for the layout and navigation."""
    return {"tenant": getattr(request, "tenant", None)}
