"""Intake routes in the authorization matrix, one area (see tests/test_authorization_matrix.py)."""

from __future__ import annotations

from collections.abc import Callable

from tests.authorization import Route
from tests.conftest import OrgWorld

BROWSER: dict[str, Route] = {}
API: dict[str, Route] = {}
# Kind of object → a function that creates one in the world's organisation and returns its id.
OBJECT_MAKERS: dict[str, Callable[[OrgWorld], int]] = {}
