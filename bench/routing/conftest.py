"""The test suite's fixtures (application role under row-level security, org_a/org_b, a
routing world), for the call-path benchmark."""

from tests.conftest import *  # noqa: F403
from tests.routing.conftest import *  # noqa: F403
