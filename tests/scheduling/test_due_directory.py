"""The dispatcher's directory (``DueOrganization``) never misses due work: after every write
path (scheduling, a claim, a run that retries, asks again, finishes or gives up, a replay)
each organisation's ``next_due_at`` is no later than its earliest claimable row, so the
dispatcher's cross-tenant read, which sees only the directory, finds every organisation
with work due (docs/scaling.md, "Coordinator directories")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling import selectors, services
from scheduling.models import DueOrganization, DueWork, DueWorkStatus
from scheduling.registry import GiveUp, register
from tenancy.context import tenant_context
from tests.conftest import OrgWorld

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# What the next run of the test kind does: None (done), "again", "retry" or "give up".
OUTCOME: dict[str, Any] = {"next": None}


@register("tests.directory", label="Directory test")
def directory_work(*, organization_id: int, payload: dict[str, Any]) -> datetime | None:
    outcome = OUTCOME["next"]
    if outcome == "retry":
        raise ConnectionError("unreachable")
    if outcome == "give up":
        raise GiveUp("hopeless")
    if outcome == "again":
        return NOON + timedelta(minutes=payload.get("again", 1))
    return None


@pytest.fixture(autouse=True)
def done_by_default():
    OUTCOME["next"] = None


def schedule(world: OrgWorld, key: str, due_at: datetime, **payload: Any) -> DueWork:
    with tenant_context(world.organization):
        return services.schedule_work(
            kind="tests.directory", idempotency_key=key, due_at=due_at, payload=payload
        )


def next_due(world: OrgWorld) -> datetime | None:
    with tenant_context(world.organization):
        row = DueOrganization.objects.filter(organization_id=world.organization.pk).first()
    return row.next_due_at if row else None


def earliest_claimable(world: OrgWorld) -> datetime | None:
    with tenant_context(world.organization):
        rows = DueWork.objects.filter(
            status__in=[DueWorkStatus.PENDING, DueWorkStatus.LEASED]
        ).values_list("status", "due_at", "lease_expires_at")
        times = [
            due if status == DueWorkStatus.PENDING else max(due, lease or due)
            for status, due, lease in rows
        ]
    return min(times, default=None)


def assert_never_late(*worlds: OrgWorld) -> None:
    for world in worlds:
        earliest = earliest_claimable(world)
        if earliest is not None:
            directory = next_due(world)
            assert directory is not None and directory <= earliest, world.organization.slug


def run(claims: list[services.Claim], now: datetime) -> list[str]:
    return [
        services.run_work(
            organization_id=c.organization_id, work_id=c.work_id, lease_token=c.lease_token, now=now
        )
        for c in claims
    ]


def test_scheduling_lowers_the_next_due_time_and_never_raises_it(org_a):
    # Catches schedule_work overwriting an earlier due time with a later one.
    schedule(org_a, "late", NOON + timedelta(hours=1))
    schedule(org_a, "early", NOON)
    schedule(org_a, "later", NOON + timedelta(hours=2))
    assert next_due(org_a) == NOON


def test_a_claim_recomputes_it_from_the_open_rows(org_a):
    # Catches a claim leaving the organisation listed forever (a claim per dispatch), or
    # forgetting the lease after which the claimed row is claimable again.
    schedule(org_a, "now", NOON)
    schedule(org_a, "soon", NOON + timedelta(minutes=1))
    first = services.dispatch_due_work(now=NOON)
    assert len(first) == 1
    assert next_due(org_a) == NOON + timedelta(minutes=1)
    second = services.dispatch_due_work(now=NOON + timedelta(minutes=1))
    assert next_due(org_a) == NOON + services.LEASE
    run(first + second, NOON + timedelta(minutes=1))
    # Both rows finished: one empty claim when the lease would have run out, then nothing.
    assert services.dispatch_due_work(now=NOON + services.LEASE) == []
    assert next_due(org_a) is None
    assert selectors.organizations_with_due_work(now=NOON + timedelta(days=1), limit=10) == []


def test_a_retry_lowers_it_to_the_backoff(org_a):
    # Catches _record putting a row back to pending without telling the directory: the
    # retry would wait for the old lease instead of the backoff.
    schedule(org_a, "flaky", NOON)
    OUTCOME["next"] = "retry"
    assert run(services.dispatch_due_work(now=NOON), NOON) == ["retry"]
    assert next_due(org_a) == NOON + services.backoff(1)


def test_work_that_runs_again_lowers_it_to_the_new_time(org_a):
    schedule(org_a, "again", NOON)
    OUTCOME["next"] = "again"
    assert run(services.dispatch_due_work(now=NOON), NOON) == ["again"]
    assert next_due(org_a) == NOON + timedelta(minutes=1)


def test_a_replay_lowers_it_to_now(org_a):
    # Catches replayed work that the dispatcher never finds again.
    work = schedule(org_a, "dead", NOON)
    OUTCOME["next"] = "give up"
    assert run(services.dispatch_due_work(now=NOON), NOON) == ["dead"]
    services.dispatch_due_work(now=NOON + services.LEASE)
    assert next_due(org_a) is None
    replay_at = NOON + timedelta(hours=3)
    with tenant_context(org_a.organization):
        services.replay_work(actor=org_a.tenant(), work=work, now=replay_at)
    assert next_due(org_a) == replay_at
    assert selectors.organizations_with_due_work(now=replay_at, limit=10) == [org_a.organization.pk]


def test_a_tenant_cannot_write_another_organisations_next_due_time(org_a, org_b):
    # Catches the directory without row-level security: one tenant could hide another's
    # due work from the dispatcher.
    schedule(org_b, "b", NOON)
    with tenant_context(org_a.organization):
        assert DueOrganization.objects.count() == 0
        assert (
            DueOrganization.objects.filter(organization_id=org_b.organization.pk).update(
                next_due_at=None
            )
            == 0
        )
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            DueOrganization.objects.create(organization_id=org_b.organization.pk)
    assert next_due(org_b) == NOON


STEP = st.one_of(
    st.tuples(st.just("schedule"), st.sampled_from("ab"), st.integers(0, 5), st.integers(-3, 9)),
    st.tuples(st.just("dispatch"), st.integers(0, 12)),
    st.tuples(st.just("run"), st.sampled_from([None, "again", "retry", "give up"])),
    st.tuples(st.just("replay"), st.sampled_from("ab")),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, max_size=12))
def test_the_directory_is_never_later_than_the_earliest_claimable_row(org_a, org_b, steps):
    # Catches any sequence of writes (in any order, over two organisations) after which an
    # organisation with claimable work is missing from the dispatcher's read, or listed
    # later than its work falls due.
    worlds = {"a": org_a, "b": org_b}
    with transaction.atomic():
        now, claims = NOON, []
        for step in steps:
            if step[0] == "schedule":
                _, org, key, minutes = step
                schedule(worlds[org], f"k{key}", NOON + timedelta(minutes=minutes), again=key)
            elif step[0] == "dispatch":
                now = max(now, NOON + timedelta(minutes=step[1]))
                due = set(selectors.organizations_with_due_work(now=now, limit=10))
                for world in worlds.values():
                    earliest = earliest_claimable(world)
                    if earliest is not None and earliest <= now:
                        assert world.organization.pk in due
                claims += services.dispatch_due_work(now=now)
            elif step[0] == "run" and claims:
                OUTCOME["next"] = step[1]
                run([claims.pop(0)], now)
            elif step[0] == "replay":
                world = worlds[step[1]]
                with tenant_context(world.organization):
                    dead = DueWork.objects.filter(status=DueWorkStatus.DEAD).first()
                    if dead is not None:
                        services.replay_work(actor=world.tenant(), work=dead, now=now)
            assert_never_late(*worlds.values())
        transaction.set_rollback(True)
