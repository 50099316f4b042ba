"""The suite's clock: ``TEST_CLOCK`` travels every test to one instant.

A test marked ``clock`` reads the clock, directly or through the code it calls; it must give
the same answer at any instant, because it pins the clock where its assertion depends on it
(``time_machine.travel`` inside the test) and does not care otherwise. ``bin/clock-check``
proves that by running the marked tests with ``TEST_CLOCK`` set to a few hard instants (a
weekday morning, 20:59 and 21:00 in New York, a DST change day). Loaded for every run through
``-p tests.clock`` in pytest's addopts; without ``TEST_CLOCK`` it does nothing.

The clock ticks from the instant (``tick=True``), so timeouts and durations still pass; a
test's own ``travel`` nests inside and wins.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine

ENVIRONMENT_VARIABLE = "TEST_CLOCK"


def test_clock() -> datetime | None:
    """The instant named by ``TEST_CLOCK`` (ISO 8601 with an offset), or ``None``."""
    raw = os.environ.get(ENVIRONMENT_VARIABLE, "")
    if not raw:
        return None
    instant = datetime.fromisoformat(raw)
    if instant.tzinfo is None:
        raise pytest.UsageError(f"{ENVIRONMENT_VARIABLE}={raw!r} needs a UTC offset")
    return instant


test_clock.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


def pytest_report_header() -> str | None:
    instant = test_clock()
    return None if instant is None else f"clock: every test starts at {instant.isoformat()}"


@pytest.fixture(autouse=True)
def _travel_to_the_test_clock() -> Iterator[None]:
    instant = test_clock()
    if instant is None:
        yield
        return
    with time_machine.travel(instant, tick=True):
        yield
