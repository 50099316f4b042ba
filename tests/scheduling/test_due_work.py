"""Scheduled work as durable rows: scheduled once, claimed by one dispatcher, run, retried
with backoff, given up with its error, replayed by a person; and a lease that runs out is
claimed again, so a lost message or a killed worker loses no work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from scheduling import selectors, services
from scheduling.models import DueWork, DueWorkStatus
from scheduling.registry import GiveUp, UnknownKind, register
from tenancy.context import tenant_context
from tests.conftest import OrgWorld

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

# What the test kinds were asked to do, and how they should answer next.
CALLS: list[tuple[int, dict[str, Any]]] = []
PLAN: dict[str, Any] = {"raise": None, "again": None}


@register("tests.note", label="Note it down")
def note(*, organization_id: int, payload: dict[str, Any]) -> datetime | None:
    CALLS.append((organization_id, payload))
    if PLAN["raise"] is not None:
        raise PLAN["raise"]
    return PLAN["again"]


@pytest.fixture(autouse=True)
def fresh_plan():
    CALLS.clear()
    PLAN.update({"raise": None, "again": None})


def schedule(world: OrgWorld, key: str, *, due_at: datetime = NOON, **kwargs: Any) -> DueWork:
    with tenant_context(world.organization):
        return services.schedule_work(
            kind="tests.note", idempotency_key=key, due_at=due_at, payload={"key": key}, **kwargs
        )


def row(world: OrgWorld, work: DueWork) -> DueWork:
    with tenant_context(world.organization):
        return DueWork.objects.get(pk=work.pk)


def run_all(claims: list[services.Claim], now: datetime = NOON) -> list[str]:
    return [
        services.run_work(
            organization_id=c.organization_id, work_id=c.work_id, lease_token=c.lease_token, now=now
        )
        for c in claims
    ]


def test_scheduling_the_same_key_twice_makes_one_row(org_a: OrgWorld) -> None:
    # Catches a retried request (or a webhook delivered twice) scheduling the work twice.
    first = schedule(org_a, "reminder-1")
    again = schedule(org_a, "reminder-1", due_at=NOON + timedelta(hours=1))
    assert again.pk == first.pk and again.due_at == NOON
    with tenant_context(org_a.organization):
        assert DueWork.objects.count() == 1


def test_an_unknown_kind_is_refused_when_scheduled_not_when_due(org_a: OrgWorld) -> None:
    with tenant_context(org_a.organization), pytest.raises(UnknownKind):
        services.schedule_work(kind="tests.nobody", idempotency_key="x", due_at=NOON)


def test_the_dispatcher_claims_due_work_of_every_organisation_and_nothing_early(
    org_a: OrgWorld, org_b: OrgWorld
) -> None:
    # Catches a claim that ignores due_at, or one organisation's work starving another's.
    due_a = schedule(org_a, "a-due", due_at=NOON - timedelta(minutes=1))
    due_b = schedule(org_b, "b-due", due_at=NOON)
    later = schedule(org_a, "a-later", due_at=NOON + timedelta(seconds=1))

    claims = services.dispatch_due_work(now=NOON)

    assert {(c.organization_id, c.work_id) for c in claims} == {
        (org_a.organization.pk, due_a.pk),
        (org_b.organization.pk, due_b.pk),
    }
    assert row(org_a, later).status == DueWorkStatus.PENDING
    assert row(org_a, due_a).status == DueWorkStatus.LEASED
    # The next dispatch claims what fell due since, and nothing whose lease still holds.
    next_claims = services.dispatch_due_work(now=NOON + timedelta(seconds=15))
    assert [c.work_id for c in next_claims] == [later.pk]


def test_the_cross_tenant_read_names_organisations_only(org_a: OrgWorld, org_b: OrgWorld):
    # Catches the definer function growing into a way to read other tenants' work.
    schedule(org_a, "a")
    schedule(org_b, "b", due_at=NOON + timedelta(hours=1))
    assert selectors.organizations_with_due_work(now=NOON, limit=10) == [org_a.organization.pk]
    with tenant_context(org_a.organization):
        assert DueWork.objects.filter(idempotency_key="b").count() == 0


def test_work_runs_once_and_is_done(org_a: OrgWorld) -> None:
    work = schedule(org_a, "once")
    claims = services.dispatch_due_work(now=NOON)

    assert run_all(claims) == ["done"]
    # The same claim delivered twice by the broker runs nothing the second time.
    assert run_all(claims) == ["skipped"]

    assert [(org_a.organization.pk, {"key": "once"})] == CALLS
    done = row(org_a, work)
    assert (done.status, done.attempts, done.finished_at) == (DueWorkStatus.DONE, 1, NOON)


def test_a_lease_that_runs_out_is_claimed_again_and_the_old_run_cannot_record(
    org_a: OrgWorld,
) -> None:
    # Catches work lost with a killed worker (never claimed again), or a late first run
    # recording over the second.
    work = schedule(org_a, "lost")
    first = services.dispatch_due_work(now=NOON)
    assert services.dispatch_due_work(now=NOON + services.LEASE - timedelta(seconds=1)) == []

    second = services.dispatch_due_work(now=NOON + services.LEASE)

    assert [c.work_id for c in second] == [work.pk]
    assert run_all(first) == ["skipped"]
    assert run_all(second) == ["done"]
    assert len(CALLS) == 1


def test_a_failure_is_retried_with_backoff_then_gives_up_with_its_error(
    org_a: OrgWorld,
) -> None:
    # Catches a failure retried at once in a loop, retried forever, or dropped silently.
    work = schedule(org_a, "flaky", max_attempts=3)
    PLAN["raise"] = ConnectionError("Twilio unreachable")
    now = NOON
    outcomes = []
    for _ in range(3):
        outcomes += run_all(services.dispatch_due_work(now=now), now=now)
        current = row(org_a, work)
        now = current.due_at

    assert outcomes == ["retry", "retry", "dead"]
    dead = row(org_a, work)
    assert dead.status == DueWorkStatus.DEAD
    assert dead.last_error == "ConnectionError: Twilio unreachable"
    assert dead.attempts == 3


def test_backoff_doubles_from_thirty_seconds_up_to_an_hour() -> None:
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert services.backoff(30) == timedelta(hours=1)


def test_give_up_goes_straight_to_dead(org_a: OrgWorld) -> None:
    work = schedule(org_a, "hopeless")
    PLAN["raise"] = GiveUp("The contact was deleted.")
    assert run_all(services.dispatch_due_work(now=NOON)) == ["dead"]
    assert row(org_a, work).last_error == "The contact was deleted."


def test_work_that_asks_to_run_again_is_due_again_then(org_a: OrgWorld) -> None:
    work = schedule(org_a, "again")
    PLAN["again"] = NOON + timedelta(minutes=10)
    assert run_all(services.dispatch_due_work(now=NOON)) == ["again"]
    again = row(org_a, work)
    assert (again.status, again.due_at) == (DueWorkStatus.PENDING, NOON + timedelta(minutes=10))


def test_a_person_replays_dead_work_with_fresh_attempts(org_a: OrgWorld) -> None:
    work = schedule(org_a, "replay", max_attempts=1)
    PLAN["raise"] = RuntimeError("boom")
    run_all(services.dispatch_due_work(now=NOON))
    PLAN["raise"] = None

    with tenant_context(org_a.organization):
        services.replay_work(actor=org_a.tenant(), work=work, now=NOON + timedelta(hours=1))
    replayed = row(org_a, work)
    assert (replayed.status, replayed.attempts) == (DueWorkStatus.PENDING, 0)
    assert replayed.replayed_by == org_a.user().get_username()

    claims = services.dispatch_due_work(now=NOON + timedelta(hours=1))
    assert run_all(claims, now=NOON + timedelta(hours=1)) == ["done"]


def test_only_dead_work_can_be_replayed(org_a: OrgWorld) -> None:
    # Catches a replay button that resets work still being tried (and runs it twice).
    work = schedule(org_a, "busy")
    with tenant_context(org_a.organization), pytest.raises(ValidationError):
        services.replay_work(actor=org_a.tenant(), work=work)
