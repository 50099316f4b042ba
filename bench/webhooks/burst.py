"""A burst of 10,000 status callbacks (duplicates and reordering included) against a running
server, then a count: every distinct event stored once, every call folded exactly once.

2,000 answered calls of four webhooks each (incoming, in-progress, dial action, completed)
make 8,000 distinct events; 2,000 duplicates of random ones are added and the whole lot is
shuffled, so callbacks overtake the incoming call they belong to. 32 concurrent senders.

    python bench/webhooks/burst.py BASE_URL
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coverage_platform.settings")
django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db.models import Sum  # noqa: E402

from telephony import simulator  # noqa: E402
from telephony.models import Call, CallEvent  # noqa: E402
from tenancy.context import tenant_context  # noqa: E402
from tenancy.models import Organization  # noqa: E402

CALLS = 2_000
DUPLICATES = 2_000
CONCURRENCY = 32
START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)

_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def main() -> None:
    base_url = sys.argv[1].rstrip("/")
    org = simulator.load_organization("burst")
    number = org.locations[0].numbers[0]
    with tenant_context(Organization.objects.get(slug="burst")):
        CallEvent.objects.all().delete()  # a rerun starts from nothing
        Call.objects.all().delete()
    distinct: list[simulator.SimulatedRequest] = []
    for index in range(CALLS):
        distinct += simulator.scenario_requests(
            org,
            number,
            scenario="answered_dial",
            start=START + timedelta(seconds=index),
            call_sid=f"CA{index:032x}",
            caller=f"+1312555{index % 10000:04d}",
        )
    rng = random.Random(10_000)
    burst = distinct + rng.sample(distinct, DUPLICATES)
    rng.shuffle(burst)
    signed = [
        (r.path, r.params, simulator.signature(org.auth_token, settings.PUBLIC_BASE_URL, r))
        for r in burst
    ]

    def post(item: tuple[str, dict[str, str], str]) -> int:
        path, params, signature = item
        response = _session().post(
            base_url + path,
            data=params,
            headers={"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https"},
            timeout=30,
        )
        return response.status_code

    began = time.monotonic()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        statuses = Counter(pool.map(post, signed))
    elapsed = time.monotonic() - began

    with tenant_context(Organization.objects.get(slug="burst")):
        calls = Call.objects.filter(call_sid__startswith="CA")
        events = CallEvent.objects.filter(provider_sid__startswith="CA").count()
        applied = calls.aggregate(total=Sum("applied_event_count"))["total"] or 0
        complete = calls.filter(
            status="completed", outcome="answered", applied_event_count=4, last_sequence_number=1
        ).count()
        call_count = calls.count()
    ok = (
        events == len(distinct)
        and applied == len(distinct)
        and call_count == CALLS
        and complete == CALLS
        and set(statuses) <= {200, 204}
    )
    print(
        f"burst: sent {len(burst)} ({len(distinct)} distinct + {DUPLICATES} duplicates, shuffled) "
        f"in {elapsed:.1f}s = {len(burst) / elapsed:.0f} req/s; answers {dict(statuses)}\n"
        f"burst: events stored {events} (expected {len(distinct)}), events applied {applied}, "
        f"calls {call_count}, calls complete and answered with 4 events {complete}/{CALLS}: "
        + ("OK, nothing lost or applied twice" if ok else "MISMATCH")
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
